/*
 * nscdcheck.h - warn when nscd caches passwd or group on this host: its
 * positive-time-to-live (600 s and 3600 s on Debian) would hide every
 * change tsnssd applies within seconds, removals included.
 */
#ifndef TSNSS_NSCDCHECK_H
#define TSNSS_NSCDCHECK_H

/* Calls warn once per cached map in conf (nscd.conf); returns how many. */
int nscd_check(
    const char *conf, void (*warn)(const char *msg, void *arg), void *arg);

#endif
