/* SPDX-License-Identifier: MIT */
/*
 * gpus.c - vdri-gpus: the host's GPUs and whether each can be passed through
 * to the driver VM.
 *
 *   vdri-gpus [--json] [--all]     list display controllers (class 0x03xxxx,
 *                                  VGA and 3D alike; --all: every PCI device)
 *   vdri-gpus [--json] --check BDF exit 0 if BDF can be passed through with
 *                                  VFIO, else 1 and one line saying why
 *
 * libpciaccess enumerates the devices and names them (pci.ids); sysfs says
 * what it does not: the bound driver, the IOMMU group and its other members.
 * libpciaccess reads only the real /sys/bus/pci, so when VDRI_SYSFS_ROOT
 * points at another tree (the tests' fake sysfs) the devices are enumerated
 * from that tree and only the names come from libpciaccess.  VDRI_DEV_ROOT
 * does the same for /dev.
 */
#include <errno.h>
#include <getopt.h>
#include <pciaccess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/gpus.h"

#define PROG "vdri-gpus"

struct entry {
	struct gpus_info info;
	const char *vendor, *device; /* NULL when pci.ids does not know them */
	bool found;		     /* sysfs knows the device too */
};

struct listing {
	struct entry *v;
	size_t n, cap;
	bool pciaccess; /* pci_system_init succeeded */
};

static int usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--json] [--all]\n"
		"       " PROG " [--json] --check BDF\n"
		"  lists PCI display controllers with their driver, IOMMU group and VFIO state;\n"
		"  --check exits 0 when BDF can be passed through to a VM with VFIO, else 1\n"
		"  environment: VDRI_SYSFS_ROOT (default /sys), VDRI_DEV_ROOT (default /dev)\n");
	return f == stdout ? 0 : 2;
}

static struct entry *listing_add(struct listing *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		void *nv = realloc(l->v, ncap * sizeof(*l->v));

		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static void listing_fini(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		gpus_info_fini(&l->v[i].info);
	free(l->v);
	if (l->pciaccess)
		pci_system_cleanup();
}

/* The device's sysfs facts; keeps libpciaccess's ids if sysfs lacks it. */
static int fill(const struct gpus_env *env, struct entry *e, const char *bdf)
{
	struct gpus_info keep = e->info;
	int r = gpus_probe(env, bdf, &e->info);

	if (r == -ENOENT) {
		e->info = keep;
		snprintf(e->info.reason, sizeof(e->info.reason), "no such device in %s/bus/pci",
			 env->sysfs);
		return 0;
	}
	e->found = r == 0;
	return r;
}

/* Real host: libpciaccess enumerates and names. */
static int list_pciaccess(const struct gpus_env *env, struct listing *l, bool all)
{
	struct pci_id_match match = {
	    .vendor_id = PCI_MATCH_ANY,
	    .device_id = PCI_MATCH_ANY,
	    .subvendor_id = PCI_MATCH_ANY,
	    .subdevice_id = PCI_MATCH_ANY,
	    .device_class = all ? 0 : 0x030000,
	    .device_class_mask = all ? 0 : 0xff0000,
	};
	struct pci_device_iterator *it = pci_id_match_iterator_create(&match);
	struct pci_device *d;
	int r = 0;

	if (!it)
		return -ENOMEM;
	while (!r && (d = pci_device_next(it))) {
		struct entry *e = listing_add(l);
		char bdf[GPUS_BDF_LEN];

		if (!e) {
			r = -ENOMEM;
			break;
		}
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", d->domain & 0xffffu, d->bus,
			 d->dev & 0x1fu, d->func & 7u);
		e->info.class_code = d->device_class;
		e->info.vendor_id = d->vendor_id;
		e->info.device_id = d->device_id;
		snprintf(e->info.bdf, sizeof(e->info.bdf), "%s", bdf);
		e->info.iommu_group = -1;
		e->vendor = pci_device_get_vendor_name(d);
		e->device = pci_device_get_device_name(d);
		r = fill(env, e, bdf);
	}
	pci_iterator_destroy(it);
	return r;
}

/* Another sysfs tree: sysfs enumerates, libpciaccess's pci.ids names. */
static int list_sysfs(const struct gpus_env *env, struct listing *l, bool all)
{
	char(*bdfs)[GPUS_BDF_LEN];
	size_t n;
	int r = gpus_list_sysfs(env, &bdfs, &n);

	for (size_t i = 0; !r && i < n; i++) {
		struct pci_id_match m = {.subvendor_id = PCI_MATCH_ANY,
					 .subdevice_id = PCI_MATCH_ANY};
		const char *sub_v, *sub_d;
		struct entry *e = listing_add(l);

		if (!e) {
			r = -ENOMEM;
			break;
		}
		r = fill(env, e, bdfs[i]);
		if (r || !(all || gpus_is_display(e->info.class_code))) {
			gpus_info_fini(&e->info);
			l->n--;
			continue;
		}
		m.vendor_id = e->info.vendor_id;
		m.device_id = e->info.device_id;
		pci_get_strings(&m, &e->device, &e->vendor, &sub_d, &sub_v);
	}
	free(bdfs);
	return r;
}

static int list_devices(const struct gpus_env *env, struct listing *l, bool all)
{
	int r;

	if (strcmp(env->sysfs, "/sys")) {
		/* names only: pci.ids is loaded lazily, whatever pci_system_init says */
		l->pciaccess = pci_system_init() == 0;
		return list_sysfs(env, l, all);
	}
	r = pci_system_init();
	if (r) {
		fprintf(stderr, PROG ": libpciaccess cannot enumerate PCI devices: %s\n",
			strerror(r));
		return 0; /* no PCI bus here (a container): nothing to list */
	}
	l->pciaccess = true;
	return list_pciaccess(env, l, all);
}

/* ---- output ---------------------------------------------------------------- */

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_member(const struct gpus_member *m)
{
	printf("{\"bdf\":\"%s\",\"class\":\"0x%06x\",\"kind\":", m->bdf, m->class_code);
	json_str(gpus_class_word(m->class_code));
	fputs(",\"driver\":", stdout);
	json_str(m->driver[0] ? m->driver : NULL);
	putchar('}');
}

static void json_entry(const struct entry *e)
{
	const struct gpus_info *i = &e->info;

	printf("{\"bdf\":\"%s\",\"class\":\"0x%06x\",\"kind\":", i->bdf, i->class_code);
	json_str(gpus_class_word(i->class_code));
	printf(",\"vendor_id\":\"0x%04x\",\"device_id\":\"0x%04x\",\"vendor\":", i->vendor_id,
	       i->device_id);
	json_str(e->vendor);
	fputs(",\"device\":", stdout);
	json_str(e->device);
	fputs(",\"driver\":", stdout);
	json_str(i->driver[0] ? i->driver : NULL);
	printf(",\"vfio_pci\":%s,\"iommu_group\":", i->vfio_pci ? "true" : "false");
	if (i->iommu_group >= 0)
		printf("%d", i->iommu_group);
	else
		fputs("null", stdout);
	fputs(",\"group_devices\":[", stdout);
	for (size_t k = 0; k < i->n_members; k++) {
		if (k)
			putchar(',');
		json_member(&i->members[k]);
	}
	printf("],\"dev_vfio\":%s,\"dev_vfio_group\":%s,\"passthrough\":%s,\"reason\":",
	       i->dev_vfio ? "true" : "false", i->dev_vfio_group ? "true" : "false",
	       i->passthrough ? "true" : "false");
	json_str(i->reason);
	putchar('}');
}

static void text_entry(const struct gpus_env *env, const struct entry *e)
{
	const struct gpus_info *i = &e->info;

	printf("%s  [%04x:%04x]  %s: %s %s\n", i->bdf, i->vendor_id, i->device_id,
	       gpus_class_word(i->class_code), e->vendor ? e->vendor : "(unknown vendor)",
	       e->device ? e->device : "(unknown device)");
	printf("    class:        0x%06x\n", i->class_code);
	printf("    driver:       %s (vfio-pci: %s)\n", i->driver[0] ? i->driver : "none",
	       i->vfio_pci ? "yes" : "no");
	if (i->iommu_group < 0) {
		printf("    IOMMU group:  none\n");
	} else {
		printf("    IOMMU group:  %d", i->iommu_group);
		for (size_t k = 0; k < i->n_members; k++)
			printf("%s %s (%s, %s)", k ? "," : ", with", i->members[k].bdf,
			       gpus_class_word(i->members[k].class_code),
			       i->members[k].driver[0] ? i->members[k].driver : "no driver");
		putchar('\n');
	}
	printf("    VFIO nodes:   %s/vfio/vfio %s", env->dev, i->dev_vfio ? "present" : "missing");
	if (i->iommu_group >= 0)
		printf(", %s/vfio/%d %s", env->dev, i->iommu_group,
		       i->dev_vfio_group ? "present" : "missing");
	printf("\n    passthrough:  %s%s\n", i->passthrough ? "" : "no: ", i->reason);
}

static int do_list(const struct gpus_env *env, bool json, bool all)
{
	struct listing l = {0};
	int r = list_devices(env, &l, all);

	if (r) {
		fprintf(stderr, PROG ": %s\n", strerror(-r));
		listing_fini(&l);
		return 1;
	}
	if (json) {
		printf("{\"sysfs\":");
		json_str(env->sysfs);
		printf(",\"devices\":[");
		for (size_t k = 0; k < l.n; k++) {
			fputs(k ? ",\n" : "\n", stdout);
			json_entry(&l.v[k]);
		}
		printf("]}\n");
	} else if (!l.n) {
		printf(PROG ": %s\n", all ? "no PCI device found"
					  : "no GPU found (no PCI display "
					    "controller)");
	} else {
		for (size_t k = 0; k < l.n; k++)
			text_entry(env, &l.v[k]);
	}
	listing_fini(&l);
	return 0;
}

static int do_check(const struct gpus_env *env, const char *arg, bool json)
{
	char bdf[GPUS_BDF_LEN];
	struct entry e = {0};
	int r;

	if (gpus_parse_bdf(arg, bdf)) {
		fprintf(stderr,
			PROG ": '%s' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, "
			     "e.g. 0000:01:00.0)\n",
			arg);
		return 2;
	}
	r = gpus_probe(env, bdf, &e.info);
	if (r == -ENOENT)
		snprintf(e.info.reason, sizeof(e.info.reason), "no such PCI device");
	else if (r)
		snprintf(e.info.reason, sizeof(e.info.reason), "%s", strerror(-r));
	if (json) {
		json_entry(&e);
		putchar('\n');
	} else {
		fprintf(e.info.passthrough ? stdout : stderr, PROG ": %s: %s\n", bdf,
			e.info.reason);
	}
	gpus_info_fini(&e.info);
	return e.info.passthrough ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"all", no_argument, NULL, 'a'},
	    {"check", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct gpus_env env = {.sysfs = getenv("VDRI_SYSFS_ROOT"), .dev = getenv("VDRI_DEV_ROOT")};
	const char *check = NULL;
	bool json = false, all = false;
	int o;

	if (!env.sysfs || !*env.sysfs)
		env.sysfs = "/sys";
	if (!env.dev || !*env.dev)
		env.dev = "/dev";
	while ((o = getopt_long(argc, argv, "jac:h", opts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else if (o == 'a')
			all = true;
		else if (o == 'c')
			check = optarg;
		else
			return usage(o == 'h' ? stdout : stderr);
	}
	if (optind != argc || (check && all))
		return usage(stderr);
	return check ? do_check(&env, check, json) : do_list(&env, json, all);
}
