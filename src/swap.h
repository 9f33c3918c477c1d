/*
 * swap.h - the one place where the snapshot in hand changes.
 */
#ifndef TSNSS_SWAP_H
#define TSNSS_SWAP_H

struct tsnssd;
struct snapshot;

/*
 * Put s in hand and free the old one.  NULL drops it and takes the
 * published file away, so the NSS module stops answering from it too.
 */
void swap_snapshot(struct tsnssd *d, struct snapshot *s);

#endif
