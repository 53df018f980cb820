/*
 * ccbus-bench's boss modes (bench_boss.c): a real ccbus with fake
 * components (tests/integration/fake_component) in a temporary
 * directory. Figures are printed, never asserted.
 */
#ifndef BENCH_BOSS_H
#define BENCH_BOSS_H

/* restart: kill -9 of a module past its stable time until it is ready
 * again, n times (0: 100); p50 and p99. */
void	bench_boss_restart(long n);
/* startup: ccbus exec to every one of n modules ready; then the boss's
 * and msgq's resident memory, and the time of an ordered stop. */
void	bench_boss_startup(int n);

#endif
