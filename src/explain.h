/*
 * explain.h - tsnssd --explain LOGIN: what one login becomes, or the exact
 * rule that refused it, judged against the tailnet as the backend sees it
 * now (so name and UID clashes show too).  LOGIN may also be a local name
 * (alice): the login that holds it on this host, or would now.
 */
#ifndef TSNSS_EXPLAIN_H
#define TSNSS_EXPLAIN_H

#include <stdio.h>

struct tsnssd;

/*
 * Prints to out; returns 0 if the login (or the name's login) would be a
 * user, 1 if not.
 */
int explain_login(struct tsnssd *d, const char *login, FILE *out);

#endif
