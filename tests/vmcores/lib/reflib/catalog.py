"""The fixed parts of the reference commands: type names, symbols, expressions.

The per-run parts (addresses, tasks, functions picked at random) are chosen in cmds_*.py
from the run's own data.  A name that does not exist in one kernel stays in the list on
purpose: the reference then records crash's error (and drgn's/gdb's), which Kdx must match.
"""

# struct -o (issue 3: core types; module_memory is 6.4+, module_layout before 6.4)
STRUCTS = [
    "task_struct", "mm_struct", "page", "slab", "kmem_cache", "kmem_cache_cpu", "kmem_cache_node",
    "irq_desc", "irqaction", "timer_list", "timer_base", "hrtimer", "hrtimer_clock_base",
    "hrtimer_cpu_base", "module", "module_memory", "module_layout", "printk_ringbuffer", "prb_desc",
    "prb_desc_ring", "prb_data_ring", "printk_info", "rq", "cfs_rq", "rt_rq", "sched_entity",
    "list_head", "hlist_head", "hlist_node", "rb_node", "rb_root", "rb_root_cached", "xarray",
    "xa_node", "maple_tree", "maple_node", "maple_range_64", "pid", "upid", "pid_namespace", "file",
    "dentry", "inode", "super_block", "path", "qstr", "files_struct", "fdtable", "net_device",
    "sk_buff", "socket", "sock", "vm_area_struct", "kernfs_node", "cpumask", "zone", "pglist_data",
    "thread_info", "thread_struct", "pt_regs", "inactive_task_frame", "signal_struct",
    "sighand_struct", "nsproxy", "uts_namespace", "new_utsname", "vmap_area", "vm_struct",
    "address_space", "mount", "vfsmount", "kobject", "device", "resource", "wait_queue_head",
    "timerqueue_node", "timerqueue_head", "idr", "percpu_counter", "mutex", "rw_semaphore", "cred",
    "spinlock", "raw_spinlock", "qspinlock", "work_struct", "kref", "vmlab_item", "vmlab_obj",
]
# struct -o of typedef names (of anonymous structs): crash accepts them; the truth is gdb's
# `ptype /o` (gdb-commands.json)
TYPEDEF_STRUCTS = ["atomic_t", "atomic64_t", "spinlock_t", "raw_spinlock_t", "refcount_t"]
# union -o (named unions present in both kernels' DWARF; thread_union is not emitted;
# bpf_attr is left out: 13 s of crash's time for one command)
UNIONS = [
    "sigval", "__sifields", "perf_mem_data_src", "cpuid10_eax", "fpregs_state",
    "rcu_special", "handle_parts", "inet_addr", "nf_inet_addr",
]
# whatis: functions, variables (global, per-CPU, module), typedefs, struct/union/enum names
WHATIS = [
    "schedule", "__schedule", "panic", "vfs_read", "do_exit", "kmem_cache_alloc", "_printk",
    "machine_kexec", "jiffies", "jiffies_64", "init_task", "linux_banner", "init_uts_ns", "nr_cpu_ids",
    "runqueues", "current_task", "pcpu_hot", "modules", "sys_call_table", "init_mm", "vmlab_items",
    "vmlab_objs", "vmlab_cache", "vmlab_timer_fn", "pid_t", "u64", "u8", "atomic_t", "atomic64_t",
    "size_t", "gfp_t", "spinlock_t", "loff_t", "cpumask_t", "pgd_t", "pte_t", "irq_handler_t",
    "work_func_t", "refcount_t", "ktime_t", "struct list_head", "struct vmlab_item", "union sigval",
    "enum pid_type", "enum zone_type",
]
# ptype: typedefs (plain and function-pointer), functions, struct/union/enum, expressions
PTYPE = [
    "pid_t", "atomic_t", "spinlock_t", "irq_handler_t", "work_func_t", "schedule", "vfs_read",
    "panic", "struct list_head", "struct hlist_node", "union sigval", "enum pid_type",
    "struct file_operations", "init_task.comm", "jiffies", "struct vmlab_item",
]

# p / print: (crash command, drgn expression for the truth or None, what)
GLOBALS = [
    ("p jiffies", "prog['jiffies_64'].value_()", "jiffies (an alias of jiffies_64 on 64-bit)"),
    ("p/x jiffies", "prog['jiffies_64'].value_()", "gdb format letter"),
    ("p -x jiffies", "prog['jiffies_64'].value_()", "crash -x"),
    ("p -d jiffies", "prog['jiffies_64'].value_()", "crash -d"),
    ("p jiffies_64", "prog['jiffies_64'].value_()", "u64 global"),
    ("p (int)jiffies", None, "cast"),
    ("p jiffies - 100", None, "arithmetic on a global"),
    ("p init_task.comm", "prog['init_task'].comm.string_()", "char array member"),
    ("p init_task.pid", "prog['init_task'].pid.value_()", "int member"),
    ("p &init_task.tasks", "prog['init_task'].tasks.address_", "address of a member"),
    ("p init_task.tasks", "prog['init_task'].tasks.next.value_()", "list_head member (next shown)"),
    ("p init_task.mm", "prog['init_task'].mm.value_()", "NULL pointer member"),
    ("p init_task.active_mm", "prog['init_task'].active_mm.value_()", "pointer member"),
    ("p init_task.se", None, "a whole embedded struct (struct sched_entity)"),
    ("p init_task.se.load", None, "nested struct member"),
    ("p -x init_task.se.load", None, "a small struct in hex"),
    ("p init_task.thread_info", None, "embedded struct (THREAD_INFO_IN_TASK)"),
    ("p init_uts_ns.name", None, "struct new_utsname"),
    ("p init_uts_ns.name.release", "prog['init_uts_ns'].name.release.string_()", "nested char array"),
    ("p init_uts_ns.name.machine", "prog['init_uts_ns'].name.machine.string_()", "nested char array"),
    ("p sizeof(struct page)", "sizeof(prog.type('struct page'))", "sizeof a struct"),
    ("p sizeof(struct task_struct)", "sizeof(prog.type('struct task_struct'))", "sizeof a struct"),
    ("p sizeof(init_task)", "sizeof(prog['init_task'])", "sizeof a variable"),
    ("p nr_cpu_ids", "prog['nr_cpu_ids'].value_()", "unsigned int global"),
    ("p nr_cpu_ids * 2", "prog['nr_cpu_ids'].value_() * 2", "arithmetic"),
    ("p/o nr_cpu_ids", "prog['nr_cpu_ids'].value_()", "octal"),
    ("p/t nr_cpu_ids", "prog['nr_cpu_ids'].value_()", "binary"),
    ("p/c init_task.comm[0]", "prog['init_task'].comm[0].value_()", "char format"),
    ("p nr_threads", "prog['nr_threads'].value_()", "int global"),
    ("p total_forks", "prog['total_forks'].value_()", "unsigned long global"),
    ("p max_pfn", "prog['max_pfn'].value_()", "unsigned long global"),
    ("p _totalram_pages", "prog['_totalram_pages'].counter.value_()", "atomic_long_t"),
    ("p runqueues:0", "per_cpu(prog['runqueues'], 0).nr_running.value_()", "per-CPU struct, cpu 0 (truth: nr_running)"),
    ("p runqueues:1", "per_cpu(prog['runqueues'], 1).nr_running.value_()", "per-CPU struct, cpu 1 (truth: nr_running)"),
    ("p cpu_number:a", "per_cpu(prog['cpu_number'], 1).value_()", "per-CPU int on every CPU (truth: cpu 1)"),
    ("p this_cpu_off:0", "per_cpu(prog['this_cpu_off'], 0).value_()", "per-CPU unsigned long, cpu 0"),
    ("p __per_cpu_offset", None, "array global"),
    ("p __per_cpu_offset[1]", "prog['__per_cpu_offset'][1].value_()", "array element"),
    ("p linux_banner", "prog['linux_banner'].string_()", "const char array"),
    ("p init_mm.pgd", "prog['init_mm'].pgd.value_()", "pointer member"),
    ("p &init_mm", "prog['init_mm'].address_", "address of a global"),
    ("p init_mm.map_count", "prog['init_mm'].map_count.value_()", "int member"),
    ("p page_offset_base", "prog['page_offset_base'].value_()", "KASLR base"),
    ("p vmemmap_base", "prog['vmemmap_base'].value_()", "KASLR base"),
    ("p vmalloc_base", "prog['vmalloc_base'].value_()", "KASLR base"),
    ("p phys_base", None, "assembler symbol without a DWARF type"),
    ("p saved_command_line", "prog['saved_command_line'].string_()", "char pointer"),
    ("p system_state", "prog['system_state'].format_()", "enum global"),
    ("p panic_cpu", "prog['panic_cpu'].counter.value_()", "atomic_t"),
    ("p oops_in_progress", "prog['oops_in_progress'].value_()", "int global"),
    ("p panic_timeout", "prog['panic_timeout'].value_()", "int global"),
    ("p panic_on_oops", "prog['panic_on_oops'].value_()", "int global"),
    ("p tainted_mask", "prog['tainted_mask'].value_()", "unsigned long global"),
    ("p init_pid_ns.pid_allocated", "prog['init_pid_ns'].pid_allocated.value_()", "member of a global"),
    ("p init_pid_ns.level", "prog['init_pid_ns'].level.value_()", "member of a global"),
    ("p crashk_res", None, "struct resource"),
    ("p kexec_crash_image", "prog['kexec_crash_image'].value_()", "pointer global"),
    ("p modules", "prog['modules'].next.value_()", "list_head global (next shown)"),
    ("p vmlab_items", "var('vmlab_items').next.value_()", "module list_head (needs mod -s)"),
    ("p vmlab_objs[0]", "var('vmlab_objs')[0].value_()", "module array of pointers"),
    ("p *vmlab_objs[0]", "var('vmlab_objs')[0].magic.value_()", "dereference (truth: magic)"),
    ("p vmlab_objs[36]->tag", "var('vmlab_objs')[36].tag.string_()", "member through a pointer"),
    ("p vmlab_cache", "var('vmlab_cache').value_()", "module pointer global"),
    ("p vmlab_cache->name", "var('vmlab_cache').name.string_()", "string through a pointer"),
    ("p vmlab_timer.expires", "var('vmlab_timer').expires.value_()", "module struct member"),
    ("p vmlab_timer.function", "var('vmlab_timer').function.value_()", "function pointer member"),
    ("p vmlab_kthread_task->comm", "var('vmlab_kthread_task').comm.string_()", "task comm through a pointer"),
    ("p vmlab_kthread_task->pid", "var('vmlab_kthread_task').pid.value_()", "task pid through a pointer"),
]
# eval: arithmetic in every base crash reads and prints
EVALS = [
    "eval 100 + 200", "eval 0x1000 * 4", "eval (1 << 12)", "eval (0x8000 >> 4)", "eval 100 / 7",
    "eval 100 % 7", "eval (0x10 | 0x3)", "eval 0xff & 0x0f", "eval 0xff ^ 0x0f",
    "eval -b 0x8080", "eval -l 0xffffffff + 1", "eval 1m", "eval 4k + 1", "eval 2g", "eval ~0",
    "eval 0xffffffffffffffff", "eval 0777", "eval jiffies", "eval linux_banner + 8",
]
# sym NAME / sym -q / sym -m / sym -p / sym -n
SYM_NAMES = [
    "schedule", "__schedule", "panic", "vfs_read", "do_idle", "machine_kexec", "jiffies", "jiffies_64",
    "init_task", "linux_banner", "sys_call_table", "init_mm", "modules", "runqueues", "current_task",
    "pcpu_hot", "cpu_number", "this_cpu_off", "__per_cpu_start", "_stext", "_etext", "_sdata", "__bss_start",
    "vmlab_timer_fn", "vmlab_items", "vmlab_objs", "vmlab_write", "virtblk_probe", "no_such_symbol",
]
SYM_QUERIES = ["vmlab", "sysrq_handle", "kexec", "maple_", "runqueue"]
# functions every dis family disassembles (the rest are picked per run from the vmlinux)
DIS_FUNCS = [
    "schedule", "__schedule", "panic", "vfs_read", "vfs_write", "do_idle", "machine_kexec", "__crash_kexec",
    "sysrq_handle_crash", "kfree", "kmem_cache_alloc", "copy_page", "memcpy", "memset", "strlen",
    "native_safe_halt", "default_idle", "asm_sysvec_apic_timer_interrupt", "entry_SYSCALL_64",
    "do_syscall_64", "page_fault_oops", "exc_page_fault", "do_user_addr_fault", "__x64_sys_write",
    "ksys_write", "proc_reg_write", "write_sysrq_trigger", "__handle_sysrq", "crash_nmi_callback",
    "default_do_nmi", "exc_nmi", "call_timer_fn", "run_timer_softirq", "__do_softirq", "irq_exit_rcu",
    "watchdog_timer_fn", "hrtimer_interrupt", "__switch_to_asm", "__switch_to", "ret_from_fork",
    "kthread", "schedule_timeout", "do_wait", "pipe_read", "ep_poll", "do_nanosleep", "futex_wait",
    "tcp_sendmsg", "tcp_recvmsg", "inet_csk_accept",
]
DIS_MODULE_FUNCS = ["vmlab_timer_fn", "vmlab_write", "vmlab_kthread_fn", "kexec_pre", "vmlab_irqnull_fn"]
