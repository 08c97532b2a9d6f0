/* SPDX-License-Identifier: MIT */
/* stat_wire.h - struct stat <-> struct wire_stat (user space only). */
#ifndef VDRI_STAT_WIRE_H
#define VDRI_STAT_WIRE_H

#include <sys/stat.h>

#include "vdri/wire.h"

void vdri_stat_to_wire(const struct stat *st, struct wire_stat *w);
void vdri_wire_to_stat(const struct wire_stat *w, struct stat *st);

#endif
