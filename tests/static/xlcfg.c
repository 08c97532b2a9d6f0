/* SPDX-License-Identifier: MIT */
/*
 * xlcfg.c - vdri-xlcfg FILE: checks an xl domain configuration without a Xen
 * hypervisor, for hosts where `xl -N create FILE` cannot start (xl opens the
 * hypervisor's privcmd interface before it reads any file).
 *
 * What runs is xl's own code where it lives in a library: libxlutil's
 * configuration parser (the grammar xl reads, xlu_cfg_readfile), its disk
 * parser (xlu_disk_parse) and its PCI parser (xlu_pci_parse_spec_string), and
 * libxl's enum parsers (domain type, on_* actions).  What lives in the xl
 * program itself (the per-key rules of parse_config_data, the vif keys) is
 * restated here for the keys appliance/xen.sh writes; every other key is
 * refused, so a typo cannot pass as a key xl would ignore.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>

#define PROG "vdri-xlcfg"

static int failures;

static void bad(const char *file, const char *key, const char *why)
{
	fprintf(stderr, PROG ": %s: %s: %s\n", file, key, why);
	failures++;
}

/* Keys appliance/xen.sh may write (xl.cfg(5)), with how xl reads them. */
enum kind { K_STRING, K_LONG, K_BOOL, K_LIST, K_STRING_OR_LIST };
static const struct key {
	const char *name;
	enum kind kind;
	int required;
} keys[] = {
    {"name", K_STRING, 1},
    {"type", K_STRING, 1},
    {"memory", K_LONG, 1},
    {"vcpus", K_LONG, 0},
    {"kernel", K_STRING, 0},
    {"ramdisk", K_STRING, 0},
    {"extra", K_STRING, 0},
    {"cmdline", K_STRING, 0},
    {"boot", K_STRING, 0},
    {"disk", K_LIST, 0},
    {"vif", K_LIST, 0},
    {"pci", K_LIST, 0},
    {"serial", K_STRING_OR_LIST, 0},
    {"vnc", K_BOOL, 0},
    {"sdl", K_BOOL, 0},
    {"on_poweroff", K_STRING, 0},
    {"on_reboot", K_STRING, 0},
    {"on_crash", K_STRING, 0},
    {"driver_domain", K_BOOL, 0},
};

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Every "key =" at the start of a statement must be one we know. */
static void check_names(const char *file)
{
	FILE *f = fopen(file, "re");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *k;

		while (isspace((unsigned char)*p))
			p++;
		if (!isalpha((unsigned char)*p) && *p != '_')
			continue;
		k = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (!strchr(" \t=", *p))
			continue;
		*p = '\0';
		if (!find_key(k))
			bad(file, k,
			    "not a key vdri writes (typo, or add it to tests/static/xlcfg.c)");
	}
	fclose(f);
}

static void check_types(XLU_Config *c, const char *file)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		XLU_ConfigList *l;
		libxl_defbool b;
		const char *s;
		long v;
		int r = 0;

		switch (k->kind) {
		case K_STRING:
			r = xlu_cfg_get_string(c, k->name, &s, 0);
			break;
		case K_LONG:
			r = xlu_cfg_get_long(c, k->name, &v, 0);
			break;
		case K_BOOL:
			libxl_defbool_unset(&b);
			r = xlu_cfg_get_defbool(c, k->name, &b, 0);
			break;
		case K_LIST:
			r = xlu_cfg_get_list(c, k->name, &l, NULL, 0);
			break;
		case K_STRING_OR_LIST:
			r = xlu_cfg_get_string(c, k->name, &s, 1);
			if (r == EINVAL)
				r = xlu_cfg_get_list(c, k->name, &l, NULL, 0);
			break;
		}
		if (r == ESRCH && k->required)
			bad(file, k->name, "missing");
		else if (r && r != ESRCH)
			bad(file, k->name, "wrong type for xl");
	}
}

static void check_enums(XLU_Config *c, const char *file)
{
	static const char *const actions[] = {"destroy",   "restart",	       "rename-restart",
					      "preserve",  "coredump-destroy", "coredump-restart",
					      "soft-reset"};
	static const char *const on[] = {"on_poweroff", "on_reboot", "on_crash"};
	libxl_domain_type t;
	const char *s;

	if (!xlu_cfg_get_string(c, "type", &s, 0) &&
	    (libxl_domain_type_from_string(s, &t) || t == LIBXL_DOMAIN_TYPE_INVALID))
		bad(file, "type", "not a domain type (hvm, pv, pvh)");
	for (size_t i = 0; i < 3; i++) {
		size_t j = 0;

		if (xlu_cfg_get_string(c, on[i], &s, 0))
			continue;
		while (j < sizeof(actions) / sizeof(actions[0]) && strcmp(actions[j], s))
			j++;
		if (j == sizeof(actions) / sizeof(actions[0]))
			bad(file, on[i], "not an action xl knows");
	}
}

/* xl's parse_nic_config: comma-separated key=value, these keys only. */
static void check_vif(XLU_Config *c, const char *file, const char *spec)
{
	static const char *const vif_keys[] = {"type",	  "mac",       "bridge",     "netdev",
					       "ip",	  "script",    "backend",    "rate",
					       "vifname", "model",     "devid",	     "mtu",
					       "trusted", "untrusted", "gatewaydev", "forwarddev"};
	char *dup = strdup(spec), *save = NULL;

	for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		size_t j = 0;

		if (eq)
			*eq = '\0';
		while (j < sizeof(vif_keys) / sizeof(vif_keys[0]) && strcmp(vif_keys[j], tok))
			j++;
		if (!eq || j == sizeof(vif_keys) / sizeof(vif_keys[0]) || !eq[1])
			bad(file, "vif", "an item xl's parse_nic_config refuses");
	}
	free(dup);
}

static void check_devices(XLU_Config *c, const char *file)
{
	XLU_ConfigList *l;
	const char *s;

	if (!xlu_cfg_get_list(c, "disk", &l, NULL, 0))
		for (int i = 0; (s = xlu_cfg_get_listitem(l, i)); i++) {
			libxl_device_disk d;

			libxl_device_disk_init(&d);
			if (xlu_disk_parse(c, 1, &s, &d) || !d.vdev || !*d.vdev || !d.pdev_path)
				bad(file, "disk", "xlu_disk_parse refuses an item");
			libxl_device_disk_dispose(&d);
		}
	if (!xlu_cfg_get_list(c, "pci", &l, NULL, 0))
		for (int i = 0; (s = xlu_cfg_get_listitem(l, i)); i++) {
			libxl_device_pci p;

			libxl_device_pci_init(&p);
			if (xlu_pci_parse_spec_string(c, &p, s))
				bad(file, "pci", "xlu_pci_parse_spec_string refuses an item");
			libxl_device_pci_dispose(&p);
		}
	if (!xlu_cfg_get_list(c, "vif", &l, NULL, 0))
		for (int i = 0; (s = xlu_cfg_get_listitem(l, i)); i++)
			check_vif(c, file, s);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: " PROG " FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		XLU_Config *c = xlu_cfg_init(stderr, argv[i]);
		int r;

		if (!c) {
			perror(PROG);
			return 2;
		}
		r = xlu_cfg_readfile(c, argv[i]);
		if (r) {
			bad(argv[i], "syntax",
			    r == EINVAL ? "xl's parser refuses the file" : strerror(r));
		} else {
			check_names(argv[i]);
			check_types(c, argv[i]);
			check_enums(c, argv[i]);
			check_devices(c, argv[i]);
		}
		xlu_cfg_destroy(c);
	}
	if (!failures)
		printf(PROG ": %d file(s) pass xl's parsers\n", argc - 1);
	return failures ? 1 : 0;
}
