/* libcc: everything a ccbus client needs, in one include. */
#ifndef CC_CC_H
#define CC_CC_H

#include <cc/error.h>
#include <cc/wire.h>
#include <cc/codec.h>
#include <cc/message.h>
#include <cc/session.h>
#include <cc/spec.h>
#include <cc/module.h>

#endif
