/*
 * rangecheck.h - warn where the UID range meets ranges others hand out:
 * /etc/subuid and /etc/subgid (rootless containers take 100000 and up by
 * default), systemd's reserved ranges (nspawn's only where systemd-nspawn
 * or systemd-machined is installed), and local accounts.
 */
#ifndef TSNSS_RANGECHECK_H
#define TSNSS_RANGECHECK_H

struct policy_config;

/* Calls warn once per overlap found; returns how many. */
int range_check(const struct policy_config *pc, const char *subuid,
    const char *subgid, const char *passwd,
    void (*warn)(const char *msg, void *arg), void *arg);

#endif
