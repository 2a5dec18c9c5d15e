/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

// libpq's client header; pkg-config libpq adds -I/usr/include/postgresql.
#include <libpq-fe.h>
