using System.IO.Compression;
using System.Text;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux;

/// <summary>
/// The kernel's own .config, when it was built with CONFIG_IKCONFIG: a gzip file embedded in .rodata between
/// the markers "IKCFG_ST" and "IKCFG_ED" (kernel/configs.c). Since v5.1 (commit 13610aa908dc "kernel/configs:
/// use .incbin directive to embed config_data.gz") kernel_config_data is the first byte of the gzip data, the
/// start marker just before it, and kernel_config_data_end its end; before, kernel_config_data began with the
/// start marker.
/// </summary>
public static class KernelConfig
{
    private const string StartMarker = "IKCFG_ST";
    private const string EndMarker = "IKCFG_ED";

    /// <summary>How far to look for the end marker when kernel_config_data_end is missing (a config.gz is ~50 KiB).</summary>
    private const int MaxCompressed = 1 << 20;

    /// <summary>The most text a config may inflate to (hostile input must not exhaust memory).</summary>
    private const int MaxText = 16 << 20;

    /// <summary>Whether the kernel has the embedded config at all (the symbol kernel_config_data).</summary>
    public static bool IsPresent(IProgram program) => program.Symbols.TryGetAddress("kernel_config_data", out _);

    /// <summary>
    /// The text of the embedded .config. Throws <see cref="KdxException"/> naming what is missing or
    /// unreadable: the symbol, the start or end marker, the compressed data.
    /// </summary>
    public static string Read(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("kernel_config_data", out ulong symbol))
        {
            throw new KdxException("kernel_config_data does not exist in this kernel");
        }

        ulong start = Start(program, symbol);
        byte[] compressed = program.Symbols.TryGetAddress("kernel_config_data_end", out ulong end) && end > start && end - start <= MaxCompressed
            ? ReadAll(program, start, (int)(end - start))
            : ReadToEndMarker(program, start);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var text = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (text.Length + n > MaxText)
                {
                    throw new KdxException($"kernel_config_data at {start:x}: the config inflates to more than {MaxText >> 20} MiB");
                }

                text.Write(buffer, 0, n);
            }

            return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
        }
        catch (InvalidDataException e)
        {
            throw new KdxException($"kernel_config_data at {start:x}: {compressed.Length} bytes are not gzip data ({e.Message})");
        }
    }

    private static ulong Start(IProgram program, ulong symbol)
    {
        Span<byte> marker = stackalloc byte[8];
        if (symbol >= 8 && program.Memory.Read(symbol - 8, marker, out _) == ReadStatus.Ok && marker.SequenceEqual("IKCFG_ST"u8))
        {
            return symbol;
        }

        if (program.Memory.Read(symbol, marker, out _) == ReadStatus.Ok && marker.SequenceEqual("IKCFG_ST"u8))
        {
            return symbol + 8;
        }

        throw new KdxException($"kernel_config_data at {symbol:x}: no \"{StartMarker}\" marker before or at it");
    }

    private static byte[] ReadAll(IProgram program, ulong at, int size)
    {
        var b = new byte[size];
        var status = program.Memory.Read(at, b, out int done);
        if (status != ReadStatus.Ok)
        {
            throw new KdxException($"kernel_config_data: cannot read {size} bytes at {at:x}: {status} at {at + (ulong)done:x}");
        }

        return b;
    }

    /// <summary>Reads page by page until the end marker (older kernels have no kernel_config_data_end).</summary>
    private static byte[] ReadToEndMarker(IProgram program, ulong start)
    {
        var data = new MemoryStream();
        var page = new byte[4096];
        while (data.Length < MaxCompressed)
        {
            ulong at = start + (ulong)data.Length;
            var status = program.Memory.Read(at, page, out int done);
            data.Write(page, 0, done);
            int from = (int)Math.Max(0, data.Length - done - EndMarker.Length + 1);
            int found = data.GetBuffer().AsSpan(from, (int)data.Length - from).IndexOf("IKCFG_ED"u8);
            if (found >= 0)
            {
                return data.GetBuffer().AsSpan(0, from + found).ToArray();
            }

            if (status != ReadStatus.Ok)
            {
                throw new KdxException($"kernel_config_data: no \"{EndMarker}\" marker before an unreadable address {start + (ulong)data.Length:x} ({status})");
            }
        }

        throw new KdxException($"kernel_config_data at {start:x}: no \"{EndMarker}\" marker within {MaxCompressed >> 10} KiB");
    }
}
