using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Kernel;

/// <summary>
/// <c>log -a</c>: the audit records the kernel still held for auditd. Each queue is a
/// <c>struct sk_buff_head</c> of netlink messages (an nlmsghdr, then the record text); kernel/audit.c
/// keeps audit_queue, audit_retry_queue and audit_hold_queue since v4.11 (commit 5b52330bbfe6 "audit:
/// fix auditd/kernel connection state tracking"), audit_skb_queue and audit_skb_hold_queue before.
/// </summary>
public static class AuditLog
{
    // include/uapi/linux/netlink.h: struct nlmsghdr is 16 bytes (NLMSG_HDRLEN); nlmsg_type at offset 4.
    private const int NetlinkHeader = 16;
    private const int MaxQueued = 1_000_000;

    /// <summary>The queued records as crash prints them ("type=N text"), or crash's line for an empty log.</summary>
    public static IEnumerable<string> Lines(IProgram program)
    {
        string[] queues = program.Symbols.TryGetAddress("audit_skb_queue", out _) ? ["audit_skb_hold_queue", "audit_skb_queue"]
            : program.Symbols.TryGetAddress("audit_queue", out _) ? ["audit_hold_queue", "audit_retry_queue", "audit_queue"]
            : throw new CommandException("-a: this kernel has no audit queues (CONFIG_AUDIT is off)");

        var head = program.Types.FindType("sk_buff_head", TypeKind.Struct) ?? throw new CommandException("-a: no type information for struct sk_buff_head");
        var skb = program.Types.FindType("sk_buff", TypeKind.Struct) ?? throw new CommandException("-a: no type information for struct sk_buff");
        ulong qlenAt = KObject.OffsetOf(head, "qlen");
        ulong nextAt = KObject.OffsetOf(skb, "next");
        ulong lenAt = KObject.OffsetOf(skb, "len");
        ulong dataAt = KObject.OffsetOf(skb, "data");
        var memory = program.Memory;
        long total = 0;
        foreach (var name in queues)
        {
            if (!program.Symbols.TryGetAddress(name, out ulong queue))
            {
                continue;
            }

            uint qlen = memory.ReadUInt32(queue + qlenAt, $"{name}.qlen");
            if (qlen == 0)
            {
                continue;
            }

            total += qlen;
            ulong p = memory.ReadUInt64(queue, $"{name}.next");
            for (int walked = 0; p != queue; walked++)
            {
                if (walked > Math.Min(qlen, MaxQueued))
                {
                    yield return $"log: {name}: more sk_buffs than its qlen {qlen} (a corrupt or cyclic queue); stopped";
                    break;
                }

                uint len = memory.ReadUInt32(p + lenAt, $"sk_buff {p:x} len");
                ulong data = memory.ReadUInt64(p + dataAt, $"sk_buff {p:x} data");
                ushort type = (ushort)memory.ReadUInt32(data + 4, $"nlmsghdr at {data:x}");
                int textLength = (int)Math.Clamp((long)len - NetlinkHeader, 0, 1 << 20);
                var text = new byte[textLength];
                memory.ReadExactly(data + NetlinkHeader, text, $"audit record at {data + NetlinkHeader:x}");
                string body = KernelStrings.FromBuffer(text);
                yield return string.Create(CultureInfo.InvariantCulture, $"type={type} {body}");
                p = memory.ReadUInt64(p + nextAt, $"sk_buff {p:x} next");
            }
        }

        if (total == 0)
        {
            yield return "log: kernel audit log is empty";
        }
    }
}
