using System.IO.Compression;
using System.Text;
using Kdx.Core;
using Kdx.Core.Linux;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

public sealed class KernelConfigTests
{
    private const string Config = "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_64BIT=y\n\n  CONFIG_HZ=250\n# CONFIG_IKCONFIG_PROC is not set\n";
    private const ulong At = TestProgram.Base + 0x1000;

    private static byte[] Gzip(string text)
    {
        using var m = new MemoryStream();
        using (var z = new GZipStream(m, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(Encoding.ASCII.GetBytes(text));
        }

        return m.ToArray();
    }

    private static void WriteBytes(TestProgram p, ulong at, ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            p.Write(at + (ulong)i, bytes[i], 1);
        }
    }

    [Fact]
    public void The_incbin_layout_marks_start_before_the_symbol_and_has_an_end_symbol()
    {
        var p = new TestProgram();
        var gz = Gzip(Config);
        WriteBytes(p, At - 8, "IKCFG_ST"u8);
        WriteBytes(p, At, gz);
        WriteBytes(p, At + (ulong)gz.Length, "IKCFG_ED"u8);
        p.Symbol("kernel_config_data", At);
        p.Symbol("kernel_config_data_end", At + (ulong)gz.Length);

        KernelConfig.IsPresent(p).ShouldBeTrue();
        KernelConfig.Read(p).ShouldBe(Config);
    }

    [Fact]
    public void The_older_layout_starts_with_the_marker_and_ends_at_the_end_marker()
    {
        var p = new TestProgram();
        var gz = Gzip(Config);
        WriteBytes(p, At, "IKCFG_ST"u8);
        WriteBytes(p, At + 8, gz);
        WriteBytes(p, At + 8 + (ulong)gz.Length, "IKCFG_ED"u8);
        p.Symbol("kernel_config_data", At);

        KernelConfig.Read(p).ShouldBe(Config);
    }

    [Fact]
    public void A_kernel_without_the_config_says_so()
    {
        var p = new TestProgram();
        p.Symbol("jiffies", At);
        KernelConfig.IsPresent(p).ShouldBeFalse();
        Should.Throw<KdxException>(() => KernelConfig.Read(p)).Message.ShouldBe("kernel_config_data does not exist in this kernel");
    }

    [Fact]
    public void Missing_markers_and_bad_data_are_named()
    {
        var p = new TestProgram();
        p.Symbol("kernel_config_data", At);
        Should.Throw<KdxException>(() => KernelConfig.Read(p)).Message.ShouldContain("no \"IKCFG_ST\" marker");

        WriteBytes(p, At - 8, "IKCFG_ST"u8);
        WriteBytes(p, At, "not gzip at all"u8);
        WriteBytes(p, At + 15, "IKCFG_ED"u8);
        Should.Throw<KdxException>(() => KernelConfig.Read(p)).Message.ShouldContain("15 bytes are not gzip data");
    }

    [Fact]
    public void An_end_marker_beyond_readable_memory_is_an_error_not_a_hang()
    {
        var p = new TestProgram();
        ulong near = TestProgram.Base + (1 << 20) - 64;
        WriteBytes(p, near - 8, "IKCFG_ST"u8);
        p.Symbol("kernel_config_data", near);
        Should.Throw<KdxException>(() => KernelConfig.Read(p)).Message.ShouldContain("no \"IKCFG_ED\" marker before an unreadable address");
    }

    [Fact]
    public void Dmi_strings_are_named_by_enum_dmi_field_and_unset_fields_are_skipped()
    {
        var p = new TestProgram();
        string[] names = ["DMI_NONE", "DMI_BIOS_VENDOR", "DMI_BIOS_VERSION", "DMI_PRODUCT_UUID", "DMI_STRING_MAX"];
        p.AddType("enum dmi_field", KType.Enum("dmi_field", 4, false, () => [.. names.Select((n, i) => new KEnumerator(n, (ulong)i))]));
        p.Symbol("dmi_ident", At);
        p.Write(At + 8, At + 0x100);
        p.Write(At + 16, At + 0x200);
        p.WriteString(At + 0x100, "SeaBIOS");
        p.WriteString(At + 0x200, "1.16.2");

        var (strings, fieldNames) = DmiIdent.Read(p);
        strings.ShouldBe([new DmiString(1, "DMI_BIOS_VENDOR", "SeaBIOS"), new DmiString(2, "DMI_BIOS_VERSION", "1.16.2")]);
        fieldNames.ShouldBe(names[..4]);
    }

    [Fact]
    public void Dmi_without_the_enum_uses_the_array_type_and_indexes()
    {
        var p = new TestProgram();
        p.Variable("dmi_ident", KType.Array(KType.Pointer(p.Char), 3), At);
        p.Write(At + 16, At + 0x100);
        p.Write(At + 24, At + 0x200); // beyond the array's three slots: not read
        p.WriteString(At + 0x100, "QEMU");

        var (strings, fieldNames) = DmiIdent.Read(p);
        strings.ShouldBe([new DmiString(2, null, "QEMU")]);
        fieldNames.ShouldBeEmpty();
    }
}
