using CsCheck;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Symbols;

namespace Kdx.Tests.Commands;

public sealed class ArgumentTests
{
    private static readonly SymbolTable Symbols = new(
        ["schedule", "jiffies", "add", "init_task"],
        [0xffffffff81a00000, 0xffffffff82c05000, 0xffffffff82000000, 0xffffffff82e1a940],
        [0x800, 8, 8, 0x2000],
        ['T', 'D', 'd', 'D']);

    private static ulong? Symbol(string name) => Symbols.TryGetAddress(name, out var a) ? a : null;

    [Theory]
    [InlineData("deadbeef", true)]
    [InlineData("0xdeadbeef", true)]
    [InlineData("0XFF", true)]
    [InlineData("add", true)]
    [InlineData("x", false)]
    [InlineData("schedule", false)]
    [InlineData("12g", false)]
    [InlineData("", false)]
    public void Hexadecimal_words_are_told_from_names_as_crash_does(string word, bool hex) =>
        NumberArgument.IsHexadecimal(word).ShouldBe(hex);

    [Theory]
    [InlineData("ffffffff81000000", 0xffffffff81000000)]
    [InlineData("0xFFFFFFFF81000000", 0xffffffff81000000)]
    [InlineData("10", 0x10)]
    [InlineData("1x0h", 0x10)]
    [InlineData("0x", 0)]
    public void Hex_numbers_follow_htoll(string word, ulong value) => NumberArgument.ParseHex(word).ShouldBe(value);

    [Fact]
    public void Bad_hex_numbers_say_why()
    {
        Should.Throw<CommandException>(() => NumberArgument.ParseHex("12345678901234567")).Message
            .ShouldBe("input string too large: \"12345678901234567\" (17 vs 16)");
        Should.Throw<CommandException>(() => NumberArgument.ParseHex("0x12g")).Message.ShouldBe("invalid input: \"12g\"");
    }

    [Theory]
    [InlineData("10", 10UL)]
    [InlineData("0x10", 16UL)]
    [InlineData("1f", 31UL)]
    [InlineData("007", 7UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void Counts_are_decimal_unless_they_look_hexadecimal(string word, ulong value) =>
        NumberArgument.ParseNumber(word).ShouldBe(value);

    [Theory]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("18446744073709551616")]
    [InlineData("")]
    public void Bad_counts_are_not_valid_numbers(string word) =>
        Should.Throw<CommandException>(() => NumberArgument.ParseNumber(word)).Message.ShouldBe($"not a valid number: {word}");

    [Theory]
    [InlineData("(1 + 2 * 3)", 7UL)]
    [InlineData("((1 + 2) * 3)", 9UL)]
    [InlineData("(jiffies - 100)", 0xffffffff82c05000 - 100)]
    [InlineData("(jiffies-0x100)", 0xffffffff82c05000 - 0x100)]
    [InlineData("(1 << 4 | 1)", 17UL)]
    [InlineData("(0xff & ~0xf)", 0xf0UL)]
    [InlineData("(6 ^ 3)", 5UL)]
    [InlineData("(17 % 5 + 17 / 5)", 5UL)]
    [InlineData("(-1)", ulong.MaxValue)]
    [InlineData("(+4)", 4UL)]
    [InlineData("(1 >> 70)", 0UL)]
    [InlineData("(1 << 64)", 0UL)]
    [InlineData("(4k + 1m + 1g)", (4UL << 10) + (1UL << 20) + (1UL << 30))]
    [InlineData("(add + 1)", 0xffffffff82000001)]
    [InlineData("(ff)", 0xffUL)]
    [InlineData("(schedule)", 0xffffffff81a00000)]
    public void Expressions_use_c_precedence_and_crash_number_rules(string text, ulong value) =>
        IntegerExpression.Evaluate(text, Symbol).ShouldBe(value);

    [Theory]
    [InlineData("(1 +)", "unexpected ')'")]
    [InlineData("(1 +", "missing operand at the end")]
    [InlineData("(1 / 0)", "division by zero")]
    [InlineData("(1 % (2 - 2))", "division by zero")]
    [InlineData("((1 + 2)", "missing ')'")]
    [InlineData("(1 + 2))", "unexpected ')'")]
    [InlineData("(nosuch + 1)", "\"nosuch\" is neither a symbol nor a number")]
    [InlineData("(1 < 2)", "unexpected '<'")]
    [InlineData("(1 2)", "unexpected '2'")]
    [InlineData("(#)", "unexpected '#'")]
    public void Bad_expressions_say_where(string text, string why) =>
        Should.Throw<CommandException>(() => IntegerExpression.Evaluate(text, Symbol)).Message.ShouldBe($"invalid expression: {text}: {why}");

    [Fact]
    public void Expressions_compute_as_unsigned_64_bit_c() =>
        Gen.Select(Gen.ULong, Gen.ULong.Where(b => b != 0), Gen.Int[0, 63]).Sample((a, b, n) =>
        {
            IntegerExpression.Evaluate($"(0x{a:x} + 0x{b:x} * {n})", Symbol).ShouldBe(unchecked(a + (b * (ulong)n)));
            IntegerExpression.Evaluate($"(0x{a:x} / 0x{b:x} - 0x{a:x} % 0x{b:x})", Symbol).ShouldBe(unchecked((a / b) - (a % b)));
            IntegerExpression.Evaluate($"(0x{a:x} << {n} >> {n} ^ ~0x{b:x} & 0x{a:x} | 0x{b:x})", Symbol)
                .ShouldBe(((a << n) >> n) ^ (~b & a) | b);
        });

    [Theory]
    [InlineData("schedule", 0xffffffff81a00000)]
    [InlineData("schedule+0x10", 0xffffffff81a00010)]
    [InlineData("schedule+16", 0xffffffff81a00010)]
    [InlineData("schedule-1f", 0xffffffff81a00000 - 0x1f)]
    [InlineData("(schedule + 16)", 0xffffffff81a00010)]
    [InlineData("ffffffff81a00000", 0xffffffff81a00000)]
    [InlineData("add", 0xaddUL)]
    public void Addresses_are_numbers_symbols_offsets_or_expressions(string word, ulong value) =>
        AddressArgument.Parse(word, Symbols).ShouldBe(value);

    [Fact]
    public void Unknown_names_and_bad_offsets_are_errors()
    {
        Should.Throw<SymbolNotFoundException>(() => AddressArgument.Parse("schedul", Symbols)).Name.ShouldBe("schedul");
        Should.Throw<SymbolNotFoundException>(() => AddressArgument.Parse("nosuch+8", Symbols)).Message.ShouldBe("symbol not found: nosuch+8");
        Should.Throw<CommandException>(() => AddressArgument.Parse("schedule+zz", Symbols)).Message.ShouldBe("invalid offset in schedule+zz: zz");
    }

    [Theory]
    [InlineData("a", 4, new[] { 0, 1, 2, 3 })]
    [InlineData("all", 2, new[] { 0, 1 })]
    [InlineData("3,1", 4, new[] { 1, 3 })]
    [InlineData("1-2,0,2", 4, new[] { 0, 1, 2 })]
    public void Cpu_lists(string spec, int cpus, int[] expected) => CpuSpec.Parse(spec, cpus).ShouldBe(expected);

    [Theory]
    [InlineData("4")]
    [InlineData("-1")]
    [InlineData("2-1")]
    [InlineData("1,,2")]
    [InlineData("one")]
    [InlineData("")]
    public void Bad_cpu_lists(string spec) =>
        Should.Throw<CommandException>(() => CpuSpec.Parse(spec, 4)).Message.ShouldBe($"invalid cpu specification: {spec}");
}
