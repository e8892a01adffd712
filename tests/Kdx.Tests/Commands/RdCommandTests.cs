using Kdx.Tests.Arch.X86_64;

namespace Kdx.Tests.Commands;

public sealed class RdCommandTests : IDisposable
{
    private readonly FakeProgram _p = new();

    public RdCommandTests()
    {
        _p.WriteString(_p.LinuxBanner, "Linux version 6.1.0-synthetic (kdx@test) #1 SMP PREEMPT_DYNAMIC Kdx 6.1.0-1 (2026-01-01)");
        _p.WriteUInt64(_p.Jiffies, 0x0000_0001_0000_4000);
        _p.WriteUInt64(_p.Jiffies + 8, 0xffff_ffff_ffff_fff6);
        _p.Write(_p.Jiffies + 16, [0x41, 0x42, 0x00, 0x7f, 0x80, 0xff, 0x20, 0x7e]);
    }

    private ulong Direct(ulong physical) => _p.Kernel.PageOffsetBase + physical;

    public void Dispose() => _p.Dispose();

    [Fact]
    public void A_symbol_with_no_count_shows_one_64_bit_value_with_the_ascii_column_at_its_fixed_place()
    {
        _p.Run("rd jiffies").ShouldBe($"{_p.Jiffies:x}:  0000000100004000                    .@......\n");
    }

    [Fact]
    public void Sixty_four_bit_lines_hold_two_values_and_a_short_last_line_is_padded()
    {
        _p.Run($"rd -64 {_p.Jiffies:x} 3").ShouldBe(
            $"{_p.Jiffies:x}:  0000000100004000 fffffffffffffff6   .@..............\n" +
            $"{_p.Jiffies + 16:x}:  7e20ff807f004241                    AB.... ~\n");
    }

    [Fact]
    public void Byte_short_and_int_displays_have_their_own_widths()
    {
        string a = $"{_p.Jiffies + 16:x}";
        _p.Run($"rd -8 {a} 8").ShouldBe($"{a}:  41 42 00 7f 80 ff 20 7e                           AB.... ~\n");
        _p.Run($"rd -16 {a} 4").ShouldBe($"{a}:  4241 7f00 ff80 7e20                       AB.... ~\n");
        _p.Run($"rd -32 {a} 2").ShouldBe($"{a}:  7f004241 7e20ff80                     AB.... ~\n");
        _p.Run($"rd -32 {_p.Jiffies:x} 5").ShouldBe(
            $"{_p.Jiffies:x}:  00004000 00000001 fffffff6 ffffffff   .@..............\n" +
            $"{_p.Jiffies + 16:x}:  7f004241                              AB..\n");
    }

    [Fact]
    public void Decimal_displays_use_crash_widths_and_signedness()
    {
        string j = $"{_p.Jiffies:x}";
        _p.Run($"rd -d {j} 2").ShouldBe($"{j}:       4294983680             -10 \n");
        _p.Run($"rd -D {j} 2").ShouldBe($"{j}:            4294983680 18446744073709551606 \n");
        _p.Run($"rd -32 -d {_p.Jiffies + 8:x} 2").ShouldBe($"{_p.Jiffies + 8:x}:  {"-10",12} {"-1",12} \n");
        _p.Run($"rd -32 -D {_p.Jiffies + 8:x} 1").ShouldBe($"{_p.Jiffies + 8:x}:    4294967286 \n");
        _p.Run($"rd -16 -d {_p.Jiffies + 8:x} 1").ShouldBe($"{_p.Jiffies + 8:x}:  65526 \n");
        _p.Run($"rd -8 -d {_p.Jiffies + 16:x} 6").ShouldBe($"{_p.Jiffies + 16:x}:   65  66   0 127 128 255 \n");
        _p.Run($"rd -8 -D {_p.Jiffies + 16:x} 1").ShouldBe($"{_p.Jiffies + 16:x}:   65 \n");
    }

    [Fact]
    public void Minus_x_drops_the_ascii_column()
    {
        _p.Run($"rd -x {_p.Jiffies:x} 3").ShouldBe(
            $"{_p.Jiffies:x}:  0000000100004000 fffffffffffffff6 \n{_p.Jiffies + 16:x}:  7e20ff807f004241 \n");
    }

    [Fact]
    public void Network_order_swaps_16_and_32_bit_values_and_their_ascii_but_not_64_bit_ones()
    {
        string a = $"{_p.Jiffies + 16:x}";
        // As in crash, the ASCII column shows the swapped value's bytes in memory order.
        _p.Run($"rd -N -16 {a} 2").ShouldBe($"{a}:  4142 007f                                 BA..\n");
        _p.Run($"rd -32 -N {a} 1").ShouldBe($"{a}:  4142007f                              ..BA\n");
        _p.Run($"rd -N {a} 1").ShouldBe($"{a}:  7e20ff807f004241                    AB.... ~\n");
    }

    [Fact]
    public void Symbolic_display_names_kernel_addresses_with_decimal_offsets_by_default()
    {
        _p.WriteUInt64(_p.SysCallTable, _p.Schedule);
        _p.WriteUInt64(_p.SysCallTable + 8, _p.DoExit + 0x1f);
        _p.WriteUInt64(_p.SysCallTable + 16, _p.Kernel.PageOffsetBase + 0x1000);
        _p.WriteUInt64(_p.SysCallTable + 24, 0x14);
        string t = $"{_p.SysCallTable:x}";
        _p.Run($"rd -s sys_call_table 4").ShouldBe(
            $"{t}:  schedule         do_exit+31       \n" +
            $"{_p.SysCallTable + 16:x}:  {_p.Kernel.PageOffsetBase + 0x1000:x16} 0000000000000014 \n");

        _p.Session.OutputRadix = 16;
        _p.Run($"rd -s {t} 2").ShouldBe($"{t}:  schedule         do_exit+0x1f     \n");
    }

    [Fact]
    public void Symbolic_needs_the_64_bit_size_when_it_is_given_and_a_later_size_turns_it_into_plain_hex()
    {
        _p.Run("rd -32 -s jiffies").ShouldBe("rd: -s option is only allowed with 64-bit display\n");
        _p.Run("rd -s -32 jiffies 2").ShouldBe($"{_p.Jiffies:x}:  00004000 00000001 \n");
    }

    [Fact]
    public void Slab_names_user_addresses_and_xen_machine_addresses_are_refused_with_a_reason()
    {
        _p.Run("rd -S jiffies").ShouldContain("rd: -S needs the slab layer");
        _p.Run("rd -u 400000").ShouldContain("rd: -u needs a task");
        _p.Run("rd -m 1000").ShouldBe("rd: -m option only applies to xen architecture\n");
    }

    [Fact]
    public void Ascii_without_a_count_stops_at_the_first_unprintable_byte_and_wraps_at_60()
    {
        string banner = "Linux version 6.1.0-synthetic (kdx@test) #1 SMP PREEMPT_DYNAMIC Kdx 6.1.0-1 (2026-01-01)";
        _p.Run("rd -a linux_banner").ShouldBe(
            $"{_p.LinuxBanner:x}:  {banner[..60]}\n{_p.LinuxBanner + 60:x}:  {banner[60..]}\n");
    }

    [Fact]
    public void Ascii_with_a_count_starts_a_new_line_after_unprintable_bytes()
    {
        string a = $"{_p.Jiffies + 16:x}";
        _p.Run($"rd -a {a} 8").ShouldBe($"{a}:  AB\n{_p.Jiffies + 22:x}:   ~\n");
        _p.Run($"rd -a {_p.Jiffies + 18:x} 4").ShouldBe("\n"); // nothing printable: crash still ends the line
        _p.Run($"rd -a {_p.Jiffies + 18:x}").ShouldBe(string.Empty);
    }

    [Fact]
    public void Physical_addresses_are_right_aligned_in_the_address_column()
    {
        _p.Dump.WriteUInt64(0x27eb258, 0x564d4c41424f424a);
        _p.Run("rd -p 27eb258 2").ShouldBe("         27eb258:  564d4c41424f424a 0000000000000000   JBOBALMV........\n");
    }

    [Fact]
    public void Reverse_shows_the_values_that_end_at_the_address()
    {
        _p.Run($"rd -R -x {_p.Jiffies + 16:x} 3").ShouldBe(_p.Run($"rd -x {_p.Jiffies:x} 3"));
        _p.Run($"rd -R -x {_p.Jiffies:x} 0").ShouldBe(_p.Run($"rd -x {_p.Jiffies:x} 1"));
    }

    [Fact]
    public void Offset_and_end_address_select_the_range()
    {
        _p.Run($"rd -x -o 8 jiffies").ShouldBe($"{_p.Jiffies + 8:x}:  fffffffffffffff6 \n");
        _p.Run($"rd -x -o 0x10 -32 jiffies 1").ShouldBe($"{_p.Jiffies + 16:x}:  7f004241 \n");
        _p.Run($"rd -x jiffies -e {_p.Jiffies + 24:x}").ShouldBe(_p.Run("rd -x jiffies 3"));
        _p.Run($"rd jiffies -e {_p.Jiffies:x}").ShouldBe($"rd: invalid ending address: {_p.Jiffies:x}\n");
        _p.Run($"rd jiffies -e {_p.Jiffies + 4:x}").ShouldBe("rd: invalid count request: 0\n");
        _p.Run($"rd -x jiffies 1 -e {_p.Jiffies + 24:x}").ShouldBe(
            $"WARNING: ending address ignored when count is specified\n{_p.Jiffies:x}:  0000000100004000 \n");
    }

    [Fact]
    public void Counts_are_decimal_unless_they_look_hexadecimal()
    {
        _p.Run("rd -8 -x jiffies 10").Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(11);
        _p.Run("rd -8 -x jiffies 0xa").ShouldBe(_p.Run("rd -8 -x jiffies 10"));
        _p.Run("rd -8 -x jiffies a").ShouldBe(_p.Run("rd -8 -x jiffies 10"));
        _p.Run("rd jiffies zz").ShouldBe("rd: not a valid number: zz\n");
        _p.Run("rd jiffies 0").ShouldBe("rd: invalid count request: 0\n");
    }

    [Fact]
    public void Addresses_may_be_symbols_with_offsets_expressions_or_hex_words_that_look_like_names()
    {
        string expected = _p.Run($"rd -x {_p.Jiffies + 8:x}");
        _p.Run("rd -x jiffies+8").ShouldBe(expected);
        _p.Run("rd -x jiffies+0x8").ShouldBe(expected);
        _p.Run($"rd -x {_p.Jiffies + 16:x}-8").ShouldContain("symbol not found");
        _p.Run("rd -x (jiffies + 4 * 2)").ShouldBe(expected);
        _p.Run($"rd -x 0x{_p.Jiffies + 8:x}").ShouldBe(expected);

        // "add" is a symbol, but as a bare word it is a hex number, as in crash.
        _p.Run("rd add").ShouldStartWith("rd: add is a user virtual address");
    }

    [Fact]
    public void An_unknown_symbol_lists_the_symbols_that_contain_the_word()
    {
        _p.Run("rd jiff").ShouldBe($"symbol not found: jiff\npossible alternatives:\n  {_p.Jiffies:x} (D) jiffies\n");
        _p.Run("rd nosuchthing").ShouldBe("symbol not found: nosuchthing\npossible alternatives:\n  (none found)\n");
    }

    [Fact]
    public void A_read_that_fails_part_way_shows_what_was_read_then_crash_words_and_kdx_detail()
    {
        ulong page = Direct(0x2a00000);
        _p.Dump.WriteUInt64(0x2a00ff0, 0x1122334455667788);
        _p.Dump.Exclude(0x2a01000);
        _p.Run($"rd {page + 0xff0:x} 4").ShouldBe(
            $"{page + 0xff0:x}:  1122334455667788 0000000000000000   .wfUD3\".........\n" +
            $"rd: page excluded: kernel virtual address: {page + 0x1000:x}  type: \"64-bit KVADDR\" (physical address 2a01000: synthetic pfn 2a01)\n");
        _p.Run($"rd -32 {page + 0xff8:x} 4").ShouldBe(
            $"{page + 0xff8:x}:  00000000 00000000                     ........\n" +
            $"rd: page excluded: kernel virtual address: {page + 0x1000:x}  type: \"32-bit KVADDR\" (physical address 2a01000: synthetic pfn 2a01)\n");
    }

    [Fact]
    public void Unmapped_kernel_addresses_are_invalid_kernel_virtual_addresses()
    {
        ulong va = _p.Kernel.VmallocBase + 0x10000;
        _p.Run($"rd {va:x}").ShouldStartWith($"rd: invalid kernel virtual address: {va:x}  type: \"64-bit KVADDR\" (");
    }

    [Fact]
    public void Addresses_below_the_kernel_are_user_addresses_which_need_a_task()
    {
        _p.Run("rd 400000").ShouldBe("rd: 400000 is a user virtual address: reading user memory needs a task (the task layer is not available yet)\n");
        _p.Run("rd 0x8000000000000000").ShouldBe("rd: invalid user virtual address: 8000000000000000  type: \"64-bit UVADDR\"\n");
    }

    [Fact]
    public void Physical_reads_past_memory_are_read_errors()
    {
        _p.Run("rd -p 20000000").ShouldBe("rd: read error: physical address: 20000000  type: \"64-bit PHYSADDR\" (not in dump: synthetic pfn 20000)\n");
    }

    [Fact]
    public void Raw_copies_count_bytes_to_a_file()
    {
        string file = Path.Combine(Path.GetTempPath(), $"kdx-rd-{Guid.NewGuid():n}.bin");
        try
        {
            _p.Run($"rd -r {file} jiffies 20").ShouldBe($"20 bytes copied from 0x{_p.Jiffies:x} to {file}\n");
            File.ReadAllBytes(file).ShouldBe(new byte[] { 0, 0x40, 0, 0, 1, 0, 0, 0, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41, 0x42, 0, 0x7f });
            _p.Run($"rd -r {file} jiffies -e {_p.Jiffies + 3:x}").ShouldBe($"3 bytes copied from 0x{_p.Jiffies:x} to {file}\n");
            _p.Run($"rd -r {file} jiffies").ShouldBe("rd: -r option requires either a count argument or the -e option\n");
            _p.Run($"rd -r /nonexistent-dir/x jiffies 1").ShouldStartWith("rd: cannot open output file: /nonexistent-dir/x");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Dump_file_offsets_need_a_dump_file_on_disk()
    {
        _p.Run("rd -f 0").ShouldStartWith("rd: cannot open the dump file synthetic");
    }

    [Fact]
    public void Missing_or_extra_arguments_and_unknown_options_are_usage_errors()
    {
        _p.Run("rd").ShouldStartWith("rd: missing address");
        _p.Run("rd jiffies 1 2").ShouldBe("rd: too many arguments: 2\n");
        _p.Run("rd -q jiffies").ShouldBe("rd: invalid option -- 'q'\n");
        _p.Run("rd -e").ShouldBe("rd: option requires an argument -- 'e'\n");
        _p.Run("rd 12345678901234567").ShouldBe("rd: input string too large: \"12345678901234567\" (17 vs 16)\n");
    }

    [Fact]
    public void Five_level_paging_reads_the_same_way()
    {
        using var p = new FakeProgram(levels: 5);
        p.WriteUInt64(p.Jiffies, 42);
        p.Run("rd -d jiffies").ShouldBe($"{p.Jiffies:x}:               42 \n");
    }

    [Fact]
    public void Without_symbols_hex_addresses_still_work_and_symbol_names_are_not_found()
    {
        using var p = new FakeProgram(withSymbols: false);
        p.WriteUInt64(p.Jiffies, 7);
        p.Run($"rd -x {p.Jiffies:x}").ShouldBe($"{p.Jiffies:x}:  0000000000000007 \n");
        p.Run("rd jiffies").ShouldStartWith("symbol not found: jiffies");
        p.Run($"rd -s {p.Jiffies:x}").ShouldBe($"{p.Jiffies:x}:  0000000000000007 \n");
    }

    [Fact]
    public void The_fake_kernel_is_what_the_tests_think()
    {
        _p.Program.Layout.PageOffsetBase.ShouldBe(_p.Kernel.PageOffsetBase);
        _p.Program.AddressOf("jiffies").ShouldBe(_p.Jiffies);
        FakeKernel.TextLink.ShouldBeLessThan(_p.Jiffies);
    }
}
