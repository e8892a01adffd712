namespace Kdx.Core.Linux.Printk;

/// <summary>
/// One message of the kernel log. <see cref="Text"/> is the raw bytes the kernel stored (not decoded: the
/// log may hold any bytes); <see cref="HasText"/> is false for a record the kernel kept without data
/// (a failed or data-less reservation), which crash prints as an empty line.
/// </summary>
public sealed record PrintkRecord
{
    /// <summary>The record's sequence number (printk_info.seq), or its index for the older buffer.</summary>
    public ulong Sequence { get; init; }

    /// <summary>local_clock() at the time of the printk, in nanoseconds since boot.</summary>
    public ulong TimestampNanoseconds { get; init; }

    /// <summary>The log level (0 KERN_EMERG … 7 KERN_DEBUG).</summary>
    public int Level { get; init; }

    /// <summary>The syslog facility (0 for the kernel, 1 for /dev/kmsg writers …).</summary>
    public int Facility { get; init; }

    /// <summary>The record's flags (LOG_NEWLINE, LOG_CONT …).</summary>
    public int Flags { get; init; }

    /// <summary>
    /// printk_info.caller_id: a task's PID, or 0x80000000 | CPU number in interrupt context; null when the
    /// kernel does not record it (the older buffer without CONFIG_PRINTK_CALLER).
    /// </summary>
    public uint? CallerId { get; init; }

    /// <summary>Whether the record has text (see the type's remarks).</summary>
    public bool HasText { get; init; } = true;

    /// <summary>The message bytes (without a trailing newline; inner newlines kept).</summary>
    public byte[] Text { get; init; } = [];

    /// <summary>dev_printk()'s SUBSYSTEM property, empty when none.</summary>
    public string Subsystem { get; init; } = string.Empty;

    /// <summary>dev_printk()'s DEVICE property, empty when none.</summary>
    public string Device { get; init; } = string.Empty;

    /// <summary>Other dictionary properties (the older buffer kept any KEY=value pairs).</summary>
    public IReadOnlyList<string> Properties { get; init; } = [];

    /// <summary>The dictionary as "KEY=value" lines: the older buffer's pairs, or SUBSYSTEM and DEVICE.</summary>
    public IEnumerable<string> DictionaryLines()
    {
        if (Properties.Count > 0)
        {
            return Properties;
        }

        var lines = new List<string>(2);
        if (Subsystem.Length > 0)
        {
            lines.Add("SUBSYSTEM=" + Subsystem);
        }

        if (Device.Length > 0)
        {
            lines.Add("DEVICE=" + Device);
        }

        return lines;
    }

    /// <summary>The text as Latin-1 (every byte one character), for searching and tests.</summary>
    public string TextString => System.Text.Encoding.Latin1.GetString(Text);
}
