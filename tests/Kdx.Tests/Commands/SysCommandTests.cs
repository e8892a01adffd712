using Kdx.Commands.Kernel;
using Kdx.Core.Linux.Tasks;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Commands;

public sealed class SysCommandTests
{
    [Theory]
    [InlineData(536_342_528UL, "511.5 MB")]
    [InlineData(1UL << 20, "1 MB")]
    [InlineData(512UL * 1024, "512 KB")]
    [InlineData((16UL << 30) - (32UL << 20), "16 GB")]
    [InlineData((16UL << 30) - (100UL << 20), "15.9 GB")]
    [InlineData(3UL << 29, "1.5 GB")]
    public void Memory_is_printed_as_crash_rounds_it(ulong bytes, string expected) => SysCommand.FormatMemory(bytes).ShouldBe(expected);

    [Theory]
    [InlineData(10UL, "00:00:10")]
    [InlineData(3 * 3600UL + 62, "03:01:02")]
    [InlineData(86400UL * 2 + 59, "2 days, 00:00:59")]
    public void Uptime_is_hours_minutes_seconds_after_the_days(ulong seconds, string expected) => SysCommand.FormatUptime(seconds).ShouldBe(expected);

    [Fact]
    public void Load_averages_are_rounded_to_hundredths()
    {
        // 0.63 * 2048 = 1290.24; 1 = 2048; 2.999 rounds up to 3.00.
        SysCommand.FormatLoadAverage([1290, 2048, 6142]).ShouldBe("0.63, 1.00, 3.00");
    }

    [Theory]
    [InlineData(0x0UL, "TASK_RUNNING")]
    [InlineData(0x1UL, "TASK_INTERRUPTIBLE")]
    [InlineData(0x402UL, "TASK_UNINTERRUPTIBLE|TASK_NOLOAD")]
    [InlineData(0x10UL, "EXIT_DEAD")]
    [InlineData(0x90UL, "EXIT_DEAD|TASK_DEAD")]
    [InlineData(0x40UL, "TASK_PARKED")]
    [InlineData(0x101UL, "TASK_INTERRUPTIBLE|TASK_WAKEKILL")]
    [InlineData(0x1000UL, "(unknown)")]
    public void Verbose_states_name_every_bit(ulong state, string expected) => TaskStates.Default.VerboseName(state).ShouldBe(expected);
}
