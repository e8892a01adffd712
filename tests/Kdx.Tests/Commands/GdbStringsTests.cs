using System.Text;
using Kdx.Commands.Formatting;

namespace Kdx.Tests.Commands;

/// <summary>gdb's string and character spelling under crash.</summary>
public sealed class GdbStringsTests
{
    private static string Quoted(byte[] bytes, bool ellipsis = false)
    {
        var sb = new StringBuilder();
        GdbStrings.AppendQuoted(sb, bytes, ellipsis);
        return sb.ToString();
    }

    [Fact]
    public void Escapes_controls_quotes_and_backslashes()
    {
        Quoted("a\"b\\c\n\t\a\b\f\r\v"u8.ToArray()).ShouldBe("\"a\\\"b\\\\c\\n\\t\\a\\b\\f\\r\\v\"");
        Quoted([0x1b, 0x7f, 0xff]).ShouldBe("\"\\033\\177\\377\"");
    }

    [Fact]
    public void A_digit_after_an_octal_escape_is_escaped_too()
    {
        Quoted([0, (byte)'7', (byte)'x']).ShouldBe("\"\\000\\067x\"");
        Quoted([0, (byte)'a']).ShouldBe("\"\\000a\""); // gdb 10 (crash 8.0.2): digits only, not hex letters
        Quoted([(byte)'\n', (byte)'7']).ShouldBe("\"\\n7\"");
    }

    [Fact]
    public void Valid_printable_utf8_is_kept_and_invalid_bytes_are_escaped()
    {
        Quoted([0xd9, 0xac, (byte)'n']).ShouldBe("\"\u066cn\"");
        Quoted([0xc2, (byte)'p']).ShouldBe("\"\\302p\"");
        Quoted([0xc2, 0x85]).ShouldBe("\"\\302\\205\""); // U+0085 is a control
    }

    [Fact]
    public void The_limit_counts_characters_but_writes_a_run_whole()
    {
        var run = new byte[300];
        Quoted(run).ShouldBe("\"" + string.Concat(Enumerable.Repeat("\\000", 300)) + "\"");
        var distinct = Enumerable.Range(0, 300).Select(i => (byte)('a' + (i % 2))).ToArray();
        string limited = Quoted(distinct);
        limited.ShouldEndWith("\"...");
        limited.Length.ShouldBe(GdbStrings.ElementLimit + 5);
        Quoted("ab"u8.ToArray(), ellipsis: true).ShouldBe("\"ab\"...");
    }

    [Fact]
    public void Character_literals()
    {
        string Literal(byte c)
        {
            var sb = new StringBuilder();
            GdbStrings.AppendCharLiteral(sb, c);
            return sb.ToString();
        }

        Literal((byte)'w').ShouldBe("'w'");
        Literal(0).ShouldBe("'\\000'");
        Literal((byte)'\'').ShouldBe("'\\''");
        Literal(0xff).ShouldBe("'\\377'");
    }
}
