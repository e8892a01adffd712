// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab.ko - a tiny LKDTM substitute for the vmcore lab.
 *
 * Debian's kernels are built without CONFIG_LKDTM, so this module provides
 * the crash triggers ourselves.  Write a keyword to /proc/vmlab:
 *
 *   PANIC       panic("vmlab: ...") from process context
 *   NULL        write through a NULL pointer (page fault oops)
 *   BUG         BUG()  ("kernel BUG at ...", invalid opcode oops)
 *   SOFTLOCKUP  spin forever with preemption disabled (needs softlockup_panic=1)
 *
 * pause_on_kexec=1 (default) puts a kprobe on machine_kexec(); its handler
 * writes PVPANIC_PANICKED to the ISA pvpanic port (0x505).  QEMU (with
 * "-device pvpanic -action panic=pause") then stops the VM *after* the
 * crashing kernel has stopped the other CPUs and saved its crash notes but
 * *before* it jumps into the kdump kernel.  The host takes its
 * dump-guest-memory dumps of the crashed kernel and sends "cont"; the guest
 * then continues into the capture kernel, so host-side and in-guest dumps
 * are of the very same crash.  pause_on_panic=1 does the same from a panic
 * notifier (used when no kdump kernel is loaded).
 *
 *   IRQNULL     NULL write from a timer callback (softirq context)
 *
 * Kdx test bed additions: at load time the module also plants objects with
 * known contents that the analyzer's tests look for by name (all global
 * symbols, so `sym`/`p`/`struct` find them):
 *
 *   vmlab_cache        a named, unmergeable slab cache of 200-byte objects
 *   vmlab_objs[37]     the 37 live objects allocated from it; each starts with
 *                      u64 VMLAB_OBJ_MAGIC ("VMLABOBJ" as a big-endian string)
 *                      and u64 index
 *   vmlab_items        a LIST_HEAD with 5 struct vmlab_item (kmalloc'ed):
 *                      magic 0x564d4954, id i, name "item-i", value 0x1000+i*0x111
 *   vmlab_timer        a pending timer_list (function vmlab_timer_fn) due in
 *                      one hour, so it is still queued at the crash
 *   vmlab_kthread      a kernel thread sleeping interruptibly (task pointer in
 *                      vmlab_kthread_task)
 *
 * and logs "vmlab: planted 37 objects in vmlab_cache ..." plus the addresses.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/timer.h>
#include <linux/kprobes.h>
#include <linux/panic_notifier.h>
#include <linux/notifier.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/kthread.h>
#include <linux/jiffies.h>
#include <linux/version.h>

/* 6.16 renamed from_timer() to timer_container_of(); neither 6.1 nor 6.12 needs this. */
#ifndef from_timer
#define from_timer(var, t, field) timer_container_of(var, t, field)
#endif

static bool pause_on_kexec = true;
module_param(pause_on_kexec, bool, 0444);
static bool pause_on_panic;
module_param(pause_on_panic, bool, 0444);
static int pvpanic_port = 0x505;
module_param(pvpanic_port, int, 0444);

static struct timer_list vmlab_irqnull_timer;
static int *volatile vmlab_null;	/* volatile: the compiler must really load it */
static atomic_t paused = ATOMIC_INIT(0);

static void vmlab_pause_vm(void)
{
	if (pvpanic_port && atomic_inc_return(&paused) == 1)
		outb(1 /* PVPANIC_PANICKED */, pvpanic_port);
}

static int kexec_pre(struct kprobe *p, struct pt_regs *regs)
{
	vmlab_pause_vm();
	return 0;
}
static struct kprobe kp = { .symbol_name = "machine_kexec", .pre_handler = kexec_pre };
static bool kp_registered;

static int panic_cb(struct notifier_block *nb, unsigned long ev, void *p)
{
	vmlab_pause_vm();
	return NOTIFY_DONE;
}
static struct notifier_block panic_nb = { .notifier_call = panic_cb, .priority = INT_MIN };

static void vmlab_irqnull_fn(struct timer_list *t)
{
	*vmlab_null = 0x1234;
}

/* ---- planted objects (see the header comment) ---- */
#define VMLAB_NOBJS 37
#define VMLAB_OBJ_SIZE 200
#define VMLAB_OBJ_MAGIC 0x564d4c41424f424aULL	/* "VMLABOBJ" */
#define VMLAB_NITEMS 5
#define VMLAB_ITEM_MAGIC 0x564d4954U		/* "VMIT" */

struct vmlab_obj {
	u64 magic;
	u64 index;
	char tag[16];		/* "vmlab-obj-NN" */
	u8 fill[VMLAB_OBJ_SIZE - 32];	/* byte i = (index + i) & 0xff */
};

struct vmlab_item {
	u32 magic;
	u32 id;
	char name[16];
	u64 value;
	struct list_head node;
};

struct kmem_cache *vmlab_cache;
struct vmlab_obj *vmlab_objs[VMLAB_NOBJS];
LIST_HEAD(vmlab_items);
struct timer_list vmlab_timer;
unsigned long vmlab_timer_fired;
struct task_struct *vmlab_kthread_task;

/* Never expected to run before the crash (it is due an hour after loading). */
void vmlab_timer_fn(struct timer_list *t);
void vmlab_timer_fn(struct timer_list *t)
{
	vmlab_timer_fired++;
	pr_info("vmlab: vmlab_timer fired\n");
}

static int vmlab_kthread_fn(void *unused)
{
	while (!kthread_should_stop())
		schedule_timeout_interruptible(3600 * HZ);
	return 0;
}

static void vmlab_unplant(void)
{
	struct vmlab_item *it, *tmp;
	int i;

	if (vmlab_kthread_task)
		kthread_stop(vmlab_kthread_task);
	timer_delete_sync(&vmlab_timer);
	list_for_each_entry_safe(it, tmp, &vmlab_items, node) {
		list_del(&it->node);
		kfree(it);
	}
	for (i = 0; i < VMLAB_NOBJS; i++)
		if (vmlab_objs[i])
			kmem_cache_free(vmlab_cache, vmlab_objs[i]);
	kmem_cache_destroy(vmlab_cache);
}

static int vmlab_plant(void)
{
	int i, j;

	BUILD_BUG_ON(sizeof(struct vmlab_obj) != VMLAB_OBJ_SIZE);
	timer_setup(&vmlab_timer, vmlab_timer_fn, 0);	/* first: vmlab_unplant() deletes it */
	/*
	 * Debian sets CONFIG_SLAB_MERGE_DEFAULT=y: a plain cache of this size
	 * would be merged into an existing one and not be listed under its own
	 * name.  SLAB_NO_MERGE (6.5+) prevents that; on older kernels a usercopy
	 * region (usersize != 0) has the same effect.
	 */
#ifdef SLAB_NO_MERGE
	vmlab_cache = kmem_cache_create("vmlab_cache", VMLAB_OBJ_SIZE, 0, SLAB_NO_MERGE, NULL);
#else
	vmlab_cache = kmem_cache_create_usercopy("vmlab_cache", VMLAB_OBJ_SIZE, 0, 0,
						 offsetof(struct vmlab_obj, tag), 16, NULL);
#endif
	if (!vmlab_cache)
		return -ENOMEM;
	for (i = 0; i < VMLAB_NOBJS; i++) {
		struct vmlab_obj *o = kmem_cache_alloc(vmlab_cache, GFP_KERNEL);

		if (!o)
			goto nomem;
		o->magic = VMLAB_OBJ_MAGIC;
		o->index = i;
		memset(o->tag, 0, sizeof(o->tag));
		snprintf(o->tag, sizeof(o->tag), "vmlab-obj-%02d", i);
		for (j = 0; j < sizeof(o->fill); j++)
			o->fill[j] = (u8)(i + j);
		vmlab_objs[i] = o;
	}
	for (i = 0; i < VMLAB_NITEMS; i++) {
		struct vmlab_item *it = kzalloc(sizeof(*it), GFP_KERNEL);

		if (!it)
			goto nomem;
		it->magic = VMLAB_ITEM_MAGIC;
		it->id = i;
		snprintf(it->name, sizeof(it->name), "item-%d", i);
		it->value = 0x1000 + i * 0x111;
		list_add_tail(&it->node, &vmlab_items);
	}
	mod_timer(&vmlab_timer, jiffies + 3600 * HZ);
	vmlab_kthread_task = kthread_run(vmlab_kthread_fn, NULL, "vmlab_kthread");
	if (IS_ERR(vmlab_kthread_task)) {
		int err = PTR_ERR(vmlab_kthread_task);

		vmlab_kthread_task = NULL;
		vmlab_unplant();
		return err;
	}
	/* %px: the real addresses (plain %p would print hashed values) */
	pr_info("vmlab: planted %d objects in vmlab_cache (cache=%px objs=%px first=%px last=%px)\n",
		VMLAB_NOBJS, vmlab_cache, vmlab_objs, vmlab_objs[0], vmlab_objs[VMLAB_NOBJS - 1]);
	pr_info("vmlab: planted %d items on vmlab_items (head=%px first=%px)\n", VMLAB_NITEMS,
		&vmlab_items, list_first_entry(&vmlab_items, struct vmlab_item, node));
	pr_info("vmlab: vmlab_timer=%px function=%ps expires=%lu jiffies=%lu\n",
		&vmlab_timer, vmlab_timer.function, vmlab_timer.expires, jiffies);
	pr_info("vmlab: vmlab_kthread pid=%d task=%px\n",
		task_pid_nr(vmlab_kthread_task), vmlab_kthread_task);
	return 0;
nomem:
	vmlab_unplant();
	return -ENOMEM;
}

static noinline void vmlab_softlockup(void)
{
	preempt_disable();
	for (;;)
		cpu_relax();
}

static ssize_t vmlab_write(struct file *f, const char __user *ubuf, size_t len, loff_t *off)
{
	char buf[32];
	size_t n = min(len, sizeof(buf) - 1);

	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = 0;
	strim(buf);
	pr_info("vmlab: trigger %s by %s[%d]\n", buf, current->comm, task_pid_nr(current));

	if (!strcmp(buf, "PANIC"))
		panic("vmlab: deliberate panic from %s[%d]", current->comm, task_pid_nr(current));
	else if (!strcmp(buf, "NULL"))
		*vmlab_null = 0x42;
	else if (!strcmp(buf, "BUG"))
		BUG();
	else if (!strcmp(buf, "SOFTLOCKUP"))
		vmlab_softlockup();
	else if (!strcmp(buf, "IRQNULL"))
		mod_timer(&vmlab_irqnull_timer, jiffies + 1);
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops vmlab_ops = { .proc_write = vmlab_write };

static int __init vmlab_init(void)
{
	int ret;

	timer_setup(&vmlab_irqnull_timer, vmlab_irqnull_fn, 0);
	ret = vmlab_plant();
	if (ret)
		return ret;
	if (!proc_create("vmlab", 0200, NULL, &vmlab_ops)) {
		vmlab_unplant();
		return -ENOMEM;
	}
	if (pause_on_kexec) {
		ret = register_kprobe(&kp);
		if (ret)
			pr_warn("vmlab: kprobe on machine_kexec failed: %d\n", ret);
		else
			kp_registered = true;
	}
	if (pause_on_panic)
		atomic_notifier_chain_register(&panic_notifier_list, &panic_nb);
	pr_info("vmlab: ready (pause_on_kexec=%d kprobe=%d pause_on_panic=%d)\n",
		pause_on_kexec, kp_registered, pause_on_panic);
	return 0;
}

static void __exit vmlab_exit(void)
{
	if (kp_registered)
		unregister_kprobe(&kp);
	if (pause_on_panic)
		atomic_notifier_chain_unregister(&panic_notifier_list, &panic_nb);
	timer_delete_sync(&vmlab_irqnull_timer);
	remove_proc_entry("vmlab", NULL);
	vmlab_unplant();
}

module_init(vmlab_init);
module_exit(vmlab_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmcore lab crash triggers (LKDTM substitute)");
