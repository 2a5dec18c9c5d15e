// libpq's client header; pkg-config libpq adds -I/usr/include/postgresql.
#include <libpq-fe.h>
