// SPDX-License-Identifier: GPL-2.0
/*
 * map.c - mmap of forwarded files: the guest's copy of a mapping of the
 * driver VM's file, kept coherent at the points core/PROTOCOL.md §11.5
 * names, with exact dirty tracking from the kernel.
 *
 *  - mmap sends MMAP; the backend maps its real file and returns a map id.
 *    Nothing is copied yet.
 *  - A fault fetches the page (and the absent pages after it, up to
 *    VF_FETCH pages, in one PAGES_READ) into pages this module owns, and
 *    maps it.  Pages belong to the file's own address_space (page->mapping,
 *    page->index), so the kernel's reverse map finds every PTE of a page.
 *  - A write to a shared writable mapping goes through page_mkwrite, which
 *    marks the page dirty in the map's bitmap.
 *  - Publication (before a request whose descriptor says M_F_PUBLISH, a
 *    write(), at msync(MS_SYNC)/fsync of the file's mappings, and at the
 *    last munmap): for each dirty page, write-protect
 *    every PTE (folio_mkclean: the next write faults and marks it again),
 *    then send its bytes with PAGES_WRITE, runs of pages coalesced.  Only
 *    pages written since the last publication move.
 *  - Invalidation (after a request whose descriptor says M_F_REFRESH):
 *    publish, then zap every PTE of the mapping (unmap_mapping_range) and
 *    drop the pages: the next access faults and fetches what the device
 *    wrote.
 *
 * Locking: conn->maps_lock (a mutex) guards the connection's list of maps
 * and is held across a publication or invalidation of all of them; map->lock
 * (a mutex) guards the map's pages and is taken inside it and in the fault
 * handler (which runs under the faulting mm's mmap_lock).  Page locks nest
 * inside map->lock.  Neither path takes mmap_lock, so a fault waiting for
 * map->lock cannot block them.  Waits for the backend are killable; a fault
 * on a dead connection gets SIGBUS.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vdri_front.h"

#define VF_FETCH 16u		     /* pages per fault-time PAGES_READ */
#define VF_RUN_MAX 1024u	     /* pages per PAGES_WRITE (4 MiB, as the preload library) */
#define VF_MAP_MAX (1ull << 30) /* bytes per mapping */

/* Counters for tests and diagnostics (/sys/module/vdri_front/parameters/stats). */
atomic64_t vf_stat_fetched, vf_stat_published, vf_stat_invalidated;

struct vf_map {
	struct kref ref;
	struct vf_conn *conn;
	struct address_space *mapping;
	struct list_head link; /* conn->maps */
	struct mutex lock;
	u64 map_id;
	pgoff_t pgoff;	/* file page of page 0 */
	unsigned long npages;
	bool shared_write; /* MAP_SHARED with PROT_WRITE: guest writes are published */
	struct page **pages;
	unsigned long *dirty;
};

static const struct address_space_operations vf_aops = {
	.dirty_folio = noop_dirty_folio,
};

void vf_mapping_init(struct address_space *mapping, struct inode *host)
{
	address_space_init_once(mapping);
	mapping->a_ops = &vf_aops;
	mapping->host = host;
}

/* ---- moving pages ----------------------------------------------------------------- */

static int vf_pages_write(struct vf_map *m, unsigned long first, unsigned long n, void *data)
{
	struct wire_pages p = { .map_id = m->map_id, .offset = (u64)first << PAGE_SHIFT };
	struct kvec iov[2] = { { &p, 16 }, { data, n << PAGE_SHIFT } };
	s64 r;

	r = vf_call(m->conn, WIRE_OP_PAGES_WRITE, 0, iov, 2, NULL);
	if (r >= 0 && r != (s64)(n << PAGE_SHIFT))
		r = -EPROTO;
	if (r >= 0)
		atomic64_add(n, &vf_stat_published);
	return r < 0 ? r : 0;
}

/* Publish the dirty pages of a map (map->lock held). */
static int vf_map_publish_locked(struct vf_map *m, bool mapped)
{
	unsigned long i = 0, j, k, run_max;
	struct page *page;
	void *buf;
	int r = 0;

	if (!m->shared_write)
		return 0;
	run_max = min_t(unsigned long, VF_RUN_MAX, (m->conn->max_frame - 128) >> PAGE_SHIFT);
	while ((i = find_next_bit(m->dirty, m->npages, i)) < m->npages) {
		for (j = i; j < m->npages && j - i < run_max && test_bit(j, m->dirty); j++)
			;
		buf = kvmalloc((j - i) << PAGE_SHIFT, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		for (k = i; k < j; k++) {
			clear_bit(k, m->dirty);
			page = m->pages[k];
			if (mapped) {
				/* the next write faults and marks the page again */
				lock_page(page);
				folio_mkclean(page_folio(page));
				unlock_page(page);
			}
			memcpy_from_page(buf + ((k - i) << PAGE_SHIFT), page, 0, PAGE_SIZE);
		}
		r = vf_pages_write(m, i, j - i, buf);
		kvfree(buf);
		if (r) {
			/* not sent: keep the pages dirty for the next point */
			for (k = i; k < j; k++)
				set_bit(k, m->dirty);
			return r;
		}
		i = j;
	}
	return 0;
}

static void vf_page_drop(struct page *page)
{
	lock_page(page);
	page->mapping = NULL;
	ClearPageDirty(page);
	unlock_page(page);
	put_page(page);
}

/* Publish, then zap and forget every page (map->lock held). */
static int vf_map_invalidate_locked(struct vf_map *m)
{
	unsigned long i;
	int r;

	r = vf_map_publish_locked(m, true);
	if (r)
		return r;
	/*
	 * Lock the pages first: a fault that has handed a page out installs
	 * its PTE under the page lock, so once we hold it that PTE is there
	 * to be zapped.  Private copies (COW) stay.
	 */
	for (i = 0; i < m->npages; i++)
		if (m->pages[i])
			lock_page(m->pages[i]);
	unmap_mapping_range(m->mapping, (loff_t)m->pgoff << PAGE_SHIFT,
			    (loff_t)m->npages << PAGE_SHIFT, 0);
	for (i = 0; i < m->npages; i++) {
		struct page *page = m->pages[i];

		if (!page)
			continue;
		m->pages[i] = NULL;
		atomic64_inc(&vf_stat_invalidated);
		page->mapping = NULL;
		ClearPageDirty(page);
		unlock_page(page);
		put_page(page);
	}
	return 0;
}

/* Fetch page i and the absent ones after it (map->lock held). */
static int vf_map_fetch_locked(struct vf_map *m, unsigned long i)
{
	struct wire_pages p = { .map_id = m->map_id, .offset = (u64)i << PAGE_SHIFT };
	struct kvec iov = { &p, sizeof(p) };
	struct vf_reply rep = { NULL };
	unsigned long n, k;
	struct page *page;
	s64 r;

	for (n = 0; i + n < m->npages && n < VF_FETCH && !m->pages[i + n]; n++)
		;
	p.length = (u64)n << PAGE_SHIFT;
	r = vf_call(m->conn, WIRE_OP_PAGES_READ, 0, &iov, 1, &rep);
	if (r >= 0 && (r != p.length || rep.body_len != p.length))
		r = -EPROTO;
	for (k = 0; r >= 0 && k < n; k++) {
		page = alloc_page(GFP_HIGHUSER);
		if (!page) {
			r = k ? 0 : -ENOMEM; /* keep what we have */
			break;
		}
		memcpy_to_page(page, 0, rep.body + (k << PAGE_SHIFT), PAGE_SIZE);
		page->mapping = m->mapping;
		page->index = m->pgoff + i + k;
		m->pages[i + k] = page;
		atomic64_inc(&vf_stat_fetched);
	}
	vf_reply_free(&rep);
	return r < 0 ? r : 0;
}

/* ---- the VMA's operations ------------------------------------------------------- */

static void vf_map_release(struct kref *ref)
{
	struct vf_map *m = container_of(ref, struct vf_map, ref);
	struct vf_conn *c = m->conn;
	unsigned long i;

	mutex_lock(&c->maps_lock);
	list_del(&m->link);
	mutex_unlock(&c->maps_lock);
	/* no PTE is left: the last munmap publishes what was written */
	if (!READ_ONCE(c->dead)) {
		mutex_lock(&m->lock);
		vf_map_publish_locked(m, false);
		mutex_unlock(&m->lock);
		if (!READ_ONCE(c->dead)) {
			struct wire_munmap u = { .map_id = m->map_id };
			struct kvec iov = { &u, sizeof(u) };

			vf_send_noreply_iov(c, WIRE_OP_MUNMAP, 0, &iov, 1);
		}
	}
	for (i = 0; i < m->npages; i++)
		if (m->pages[i])
			vf_page_drop(m->pages[i]);
	kvfree(m->pages);
	bitmap_free(m->dirty);
	vf_conn_put(c);
	kfree(m);
}

static void vf_vm_open(struct vm_area_struct *vma)
{
	struct vf_map *m = vma->vm_private_data;

	kref_get(&m->ref);
}

static void vf_vm_close(struct vm_area_struct *vma)
{
	struct vf_map *m = vma->vm_private_data;

	kref_put(&m->ref, vf_map_release);
}

static vm_fault_t vf_vm_fault(struct vm_fault *vmf)
{
	struct vf_map *m = vmf->vma->vm_private_data;
	unsigned long i = vmf->pgoff - m->pgoff;
	struct page *page;
	int r = 0;

	if (vmf->pgoff < m->pgoff || i >= m->npages)
		return VM_FAULT_SIGBUS;
	if (mutex_lock_killable(&m->lock))
		return VM_FAULT_SIGBUS; /* the task is dying anyway */
	if (!m->pages[i]) {
		r = READ_ONCE(m->conn->dead) ? -EIO : vf_map_fetch_locked(m, i);
	}
	page = m->pages[i];
	if (r || !page) {
		mutex_unlock(&m->lock);
		return r == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	}
	get_page(page);
	lock_page(page); /* see vf_map_invalidate_locked */
	mutex_unlock(&m->lock);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

static vm_fault_t vf_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct vf_map *m = vmf->vma->vm_private_data;
	struct page *page = vmf->page;

	lock_page(page);
	if (page->mapping != m->mapping) {
		/* invalidated between the fault and here: fault again */
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	set_bit(vmf->pgoff - m->pgoff, m->dirty);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct vf_vm_ops = {
	.open = vf_vm_open,
	.close = vf_vm_close,
	.fault = vf_vm_fault,
	.page_mkwrite = vf_vm_page_mkwrite,
};

/* ---- mmap and the coherence points ------------------------------------------------ */

int vf_map_create(struct vf_file *f, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	bool shared = vma->vm_flags & VM_SHARED;
	bool write = vma->vm_flags & VM_WRITE;
	struct wire_mmap mm = {
		.offset = (u64)vma->vm_pgoff << PAGE_SHIFT,
		.length = len,
		.prot = (vma->vm_flags & VM_READ ? 0x1 : 0) | (write ? 0x2 : 0),
		.flags = shared ? 0x1 : 0x2, /* MAP_SHARED, MAP_PRIVATE */
	};
	struct kvec iov = { &mm, sizeof(mm) };
	struct vf_conn *c = f->conn;
	struct vf_map *m;
	s64 r;

	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (len > VF_MAP_MAX)
		return -ENOMEM;
	if (READ_ONCE(f->dead))
		return -EIO;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->npages = len >> PAGE_SHIFT;
	m->pages = kvcalloc(m->npages, sizeof(*m->pages), GFP_KERNEL);
	m->dirty = bitmap_zalloc(m->npages, GFP_KERNEL);
	if (!m->pages || !m->dirty) {
		r = -ENOMEM;
		goto err;
	}
	r = vf_call(c, WIRE_OP_MMAP, f->handle, &iov, 1, NULL);
	if (r <= 0) {
		r = r ? r : -EPROTO;
		goto err;
	}
	kref_init(&m->ref);
	mutex_init(&m->lock);
	kref_get(&c->ref);
	m->conn = c;
	m->mapping = &f->mapping;
	m->map_id = r;
	m->pgoff = vma->vm_pgoff;
	m->shared_write = shared && write;
	if (!write)
		vma->vm_flags &= ~VM_MAYWRITE; /* the backend mapped it read-only */
	vma->vm_flags |= VM_DONTEXPAND;
	vma->vm_private_data = m;
	vma->vm_ops = &vf_vm_ops;
	mutex_lock(&c->maps_lock);
	list_add_tail(&m->link, &c->maps);
	mutex_unlock(&c->maps_lock);
	return 0;
err:
	kvfree(m->pages);
	bitmap_free(m->dirty);
	kfree(m);
	return r;
}

/* A publication point: every shared writable mapping of the connection. */
int vf_maps_publish(struct vf_conn *c)
{
	return vf_maps_publish_mapping(c, NULL);
}

/*
 * msync(MS_SYNC) and fsync: the file's own mappings are published (all of
 * the connection's when mapping is NULL).
 */
int vf_maps_publish_mapping(struct vf_conn *c, struct address_space *mapping)
{
	struct vf_map *m;
	int r = 0;

	if (list_empty_careful(&c->maps))
		return 0;
	if (mutex_lock_killable(&c->maps_lock))
		return -EINTR;
	list_for_each_entry(m, &c->maps, link) {
		if (mapping && m->mapping != mapping)
			continue;
		mutex_lock(&m->lock);
		r = vf_map_publish_locked(m, true);
		mutex_unlock(&m->lock);
		if (r)
			break;
	}
	mutex_unlock(&c->maps_lock);
	return r;
}

/* An invalidation point: every mapping of the connection. */
int vf_maps_invalidate(struct vf_conn *c)
{
	struct vf_map *m;
	int r = 0;

	if (list_empty_careful(&c->maps))
		return 0;
	if (mutex_lock_killable(&c->maps_lock))
		return -EINTR;
	list_for_each_entry(m, &c->maps, link) {
		mutex_lock(&m->lock);
		r = vf_map_invalidate_locked(m);
		mutex_unlock(&m->lock);
		if (r)
			break;
	}
	mutex_unlock(&c->maps_lock);
	return r;
}
