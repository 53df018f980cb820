# libcc module API (cc/module.h).
