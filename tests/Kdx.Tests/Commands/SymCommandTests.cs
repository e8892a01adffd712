namespace Kdx.Tests.Commands;

/// <summary>sym on a kernel without a vmlinux: crash's line format, lookups, lists and errors.</summary>
public sealed class SymCommandTests : IDisposable
{
    private const ulong V = SymModFixture.VmlabText;
    private const string Usage = "Usage:\n  sym [-l] | [-M] | [-m module] | [-p|-n] | [-q string] | [symbol | vaddr]\nEnter \"help sym\" for details.\n";
    private readonly SymModFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_data_symbol_by_name_and_by_address_inside_it()
    {
        // Two names at one address: both are shown for the name; an address gives the first by name.
        _f.Run("sym jiffies").ShouldBe($"{_f.Jiffies:x} (D) jiffies\n");
        _f.Run($"sym {_f.Jiffies:x}").ShouldBe($"{_f.Jiffies:x} (D) jiffies\n");
        _f.Run($"sym 0x{_f.Jiffies + 4:x}").ShouldBe($"{_f.Jiffies + 4:x} (D) jiffies_64+4\n", "inside: the last symbol at the address below");
        _f.Session.OutputRadix = 16;
        _f.Run($"sym {_f.Jiffies + 20:x}").ShouldBe($"{_f.Jiffies + 20:x} (D) jiffies_64+0x14\n");
    }

    [Fact]
    public void Several_arguments_and_clone_suffixes()
    {
        _f.Run("sym jiffies helper").ShouldBe($"{_f.Jiffies:x} (D) jiffies\n{_f.Jiffies + 0x100:x} (D) helper\n");
        _f.Run("sym helper.isra.0").ShouldStartWith("symbol not found: helper.isra.0\npossible alternatives:\n  (none found)\n");
    }

    [Fact]
    public void Kernel_text_gets_crashs_space_for_the_source_line_that_kallsyms_cannot_give()
    {
        _f.Run("sym _text").ShouldBe($"{_f.Text:x} (T) _text \n");
        _f.Run($"sym {_f.Text:x}").ShouldBe($"{_f.Text:x} (T) _stext \n", "the first name at the address, by name");
    }

    [Fact]
    public void Module_symbols_name_their_module_and_have_crashs_letters()
    {
        _f.Run("sym vmlab_timer_fn").ShouldBe($"{V + 0x60:x} (T) vmlab_timer_fn [vmlab] \n");
        _f.Run("sym vmlab_items").ShouldBe($"{V + 0x2060:x} (?) vmlab_items [vmlab]\n", "crash reads module data as '?'");
        _f.Run($"sym {V + 0x26a8:x}").ShouldBe($"{V + 0x26a8:x} (?) vmlab_objs+8 [vmlab]\n");
        _f.Run("sym vmlab_write").ShouldBe($"{V + 0x100:x} (t) vmlab_write [vmlab] \n");
    }

    [Fact]
    public void At_an_alias_the_local_symbol_comes_first_and_inside_the_global_one_last()
    {
        _f.Run($"sym {V + 0x200:x}").ShouldBe($"{V + 0x200:x} (t) vmlab_exit [vmlab] \n");
        _f.Run($"sym {V + 0x210:x}").ShouldBe($"{V + 0x210:x} (T) cleanup_module+16 [vmlab] \n");
    }

    [Fact]
    public void Unknown_names_list_the_alternatives()
    {
        _f.Run("sym nosuch").ShouldBe("symbol not found: nosuch\npossible alternatives:\n  (none found)\n");
        _f.Run("sym vmlab_t").ShouldBe($"symbol not found: vmlab_t\npossible alternatives:\n  {V + 0x60:x} (T) vmlab_timer_fn [vmlab]\n");
    }

    [Fact]
    public void Addresses_outside_the_symbols_are_invalid()
    {
        _f.Run("sym 0").ShouldBe("sym: invalid address: 0\n");
        _f.Run("sym ffffffffc0100000").ShouldBe("sym: invalid address: ffffffffc0100000\n");
        _f.Run("sym 1000").ShouldBe("sym: invalid address: 1000\n", "per-CPU offsets are below the kernel's first symbol");
    }

    [Fact]
    public void Query_lists_matches_without_source_lines()
    {
        _f.Run("sym -q vmlab_").ShouldBe(
            $"{V + 0x60:x} (T) vmlab_timer_fn [vmlab]\n{V + 0x100:x} (t) vmlab_write [vmlab]\n{V + 0x200:x} (t) vmlab_exit [vmlab]\n" +
            $"{V + 0x2060:x} (?) vmlab_items [vmlab]\n{V + 0x26a0:x} (?) vmlab_objs [vmlab]\n");
        _f.Run("sym -q jiffies").ShouldBe($"{_f.Jiffies:x} (D) jiffies\n{_f.Jiffies:x} (D) jiffies_64\n");
        _f.Run("sym -q zzz").ShouldBe("(none found)\n");
    }

    [Fact]
    public void Module_lists_run_from_module_start_to_module_end()
    {
        string vmlab = $"{V:x} MODULE START: vmlab\n{V + 0x60:x} (T) vmlab_timer_fn\n{V + 0x100:x} (t) vmlab_write\n" +
            $"{V + 0x200:x} (t) vmlab_exit\n{V + 0x200:x} (T) cleanup_module\n{V + 0x2060:x} (?) vmlab_items\n{V + 0x26a0:x} (?) vmlab_objs\n" +
            $"{V + 0x4000:x} MODULE END: vmlab\n";
        const ulong B = SymModFixture.VirtioText;
        string virtio = $"{B:x} MODULE START: virtio_blk\n{B + 0x100:x} (t) virtblk_probe\n{B + 0x4000:x} MODULE END: virtio_blk\n";
        _f.Run("sym -m vmlab").ShouldBe(vmlab);
        _f.Run("sym -m nosuch").ShouldBeEmpty();
        _f.Run("sym -M").ShouldBe(vmlab + virtio);

        string all = _f.Run("sym -l");
        all.ShouldStartWith($"{_f.Text:x} (T) _stext\n{_f.Text:x} (T) _text\n");
        all.ShouldEndWith(vmlab + virtio);
        all.ShouldContain($"{_f.Jiffies:x} (D) jiffies\n{_f.Jiffies:x} (D) jiffies_64\n{_f.Jiffies + 0x100:x} (D) helper\n");
    }

    [Fact]
    public void Previous_and_next_symbols()
    {
        _f.Run("sym -p -n vmlab_write").ShouldBe(
            $"{V + 0x60:x} (T) vmlab_timer_fn [vmlab] \n{V + 0x100:x} (t) vmlab_write [vmlab] \n{V + 0x200:x} (t) vmlab_exit [vmlab] \n");
        _f.Run("sym -n vmlab_exit").ShouldBe($"{V + 0x200:x} (t) vmlab_exit [vmlab] \n{V + 0x2060:x} (?) vmlab_items [vmlab]\n", "the next symbol is at a higher address");
        _f.Run("sym -p jiffies_64").ShouldBe($"{_f.Jiffies:x} (D) jiffies\n{_f.Jiffies:x} (D) jiffies_64\n");
        _f.Run("sym -n vmlab_objs").ShouldBe($"{V + 0x26a0:x} (?) vmlab_objs [vmlab]\n", "the last symbol has no next");
    }

    [Fact]
    public void Sections_instead_of_lines()
    {
        _f.Run("sym -s vmlab_timer_fn").ShouldBe($"{V + 0x60:x} (T) vmlab_timer_fn [vmlab] [in vmlab module]\n");
        _f.Run("sym -s jiffies").ShouldBe($"{_f.Jiffies:x} (D) jiffies []\n", "without a vmlinux there are no sections");
    }

    [Fact]
    public void Usage_errors_print_crashs_usage()
    {
        _f.Run("sym").ShouldBe(Usage);
        _f.Run("sym -x").ShouldBe("sym: invalid option -- 'x'\n" + Usage);
        _f.Run("sym -q").ShouldBe("sym: option requires an argument -- 'q'\n" + Usage);
    }
}
