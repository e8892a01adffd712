using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Linux;
using Kdx.Core.Memory;

namespace Kdx.Commands.Tasks;

/// <summary><c>waitq</c>: the tasks waiting on a wait queue.</summary>
public sealed class WaitqCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "waitq";

    /// <inheritdoc/>
    public override string Summary => "tasks waiting on a wait queue";

    /// <inheritdoc/>
    public override string Usage => "waitq [symbol | address | struct.member address]";

    /// <inheritdoc/>
    public override string Help => """
        Lists the tasks waiting on a wait queue (a wait_queue_head_t), one header line each
        (PID, task_struct, CPU, command), in queue order. The queue is named by a kernel
        symbol, by its address, or as a member of a structure at an address. A waiter that is
        not a task (e.g. an epoll callback) ends the list, as in crash.

        Examples:
          kdx> waitq log_wait
          kdx> waitq wait_queue_head_t 0xffff88800a0b1c08
          kdx> waitq pipe_inode_info.rd_wait 0xffff88800c1d2e00
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count is < 1 or > 2)
        {
            throw new CommandException($"waitq: usage: {Usage}");
        }

        var program = context.Session.Program;
        string? name = null;
        ulong head;
        int dot = args[0].IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            if (args.Count != 2)
            {
                throw new CommandException($"waitq: an address of the {args[0][..dot]} is needed");
            }

            var owner = StructLayout.TryFind(program.Types, args[0][..dot]) ?? throw new CommandException($"waitq: invalid structure: {args[0][..dot]}");
            string member = args[0][(dot + 1)..];
            head = AddressArgument.Parse(args[1], program.Symbols) + (ulong)(owner.TryOffset(member) ?? throw new CommandException($"waitq: {member} is not a member of {args[0][..dot]}"));
        }
        else if (TaskArguments.IsNumber(args[0]))
        {
            head = AddressArgument.Parse(args[0], program.Symbols);
        }
        else
        {
            name = args[0];
            head = program.Symbols.TryGetAddress(name, out ulong a) ? a : throw new CommandException($"waitq: no such symbol: {name}");
        }

        // struct wait_queue_head { spinlock_t lock; struct list_head head; } of struct wait_queue_entry linked by
        // entry, private the waiting task (v4.13, commit ac6424b981bc "sched/wait: Rename wait_queue_t => wait_queue_entry_t").
        var wqh = StructLayout.Find(program.Types, "wait_queue_head");
        var wqe = StructLayout.Find(program.Types, "wait_queue_entry");
        int entry = wqe.Offset("entry");
        int priv = wqe.Offset("private");
        var memory = program.Kernel;
        ulong listHead = head + (ulong)wqh.Offset("head");
        var seen = new HashSet<ulong>();
        var waiters = new List<ulong>();
        ulong node = memory.ReadUInt64(listHead, "wait_queue_head.head.next");
        while (node != listHead && node != 0 && seen.Add(node) && seen.Count < 1_000_000)
        {
            waiters.Add(memory.ReadUInt64(node - (ulong)entry + (ulong)priv, "wait_queue_entry.private"));
            node = memory.ReadUInt64(node, "wait_queue_entry.entry.next");
        }

        if (waiters.Count == 0)
        {
            var ci = CultureInfo.InvariantCulture;
            context.WriteLine(name is null ? string.Create(ci, $"wait queue {head:x} is empty") : string.Create(ci, $"wait queue \"{name}\" ({head:x}) is empty"));
            return;
        }

        foreach (ulong w in waiters)
        {
            if (context.Session.Tasks.Find(w) is not { } task)
            {
                break;
            }

            context.WriteLine(TaskArguments.Header(task));
        }

        if (node != listHead)
        {
            context.WriteLine($"waitq: the queue at {head:x} is damaged (a NULL or looping link); the waiters read so far are shown");
        }
    }
}
