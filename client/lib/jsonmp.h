/* SPDX-License-Identifier: MIT */
/*
 * jsonmp.h - a msgpack value as JSON text (libroled-internal), on top of the
 * base layer's JSON writer.
 */
#pragma once

#include <msgpack.h>

#include "jsonw.h"

/* json_msgpack() - append @o as JSON (map keys must be strings; bin becomes null). */
void json_msgpack(JsonBuf *b, const msgpack_object *o);
