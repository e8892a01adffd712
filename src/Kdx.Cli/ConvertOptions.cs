using System.Globalization;
using Kdx.Core.Compression;
using Kdx.Core.Dumps.Kdump;

namespace Kdx.Cli;

/// <summary>The parsed command line of <c>kdx convert</c>.</summary>
internal sealed class ConvertOptions
{
    public const string Usage = """
        usage: kdx convert --compress zlib|lzo|snappy|zstd|none [-d LEVEL] [-F] [-f]
                           [--zero-excluded] [--vmlinux FILE] VMCORE [VMCORE2 ...] OUTPUT

        Writes the dump VMCORE (an ELF vmcore, a compressed or flattened kdump, or the
        files of a makedumpfile --split set) to OUTPUT as a compressed kdump that crash,
        drgn and makedumpfile read.
          --compress CODEC  how pages are compressed: zlib, lzo, snappy, zstd or none
          -d LEVEL          drop pages by makedumpfile dump level, 0 to 31, the sum of
                              1 pages of zeros (stored once)    8 user process memory
                              2 page cache                      16 free pages
                              4 page cache with private data
                            levels above 1 read the kernel's page structures
          -F, --flattened   write makedumpfile's flattened format (OUTPUT may be -,
                            standard output)
          -f, --force       replace OUTPUT if it exists
          --zero-excluded   write pages the input had excluded as pages of zeros
          --vmlinux FILE    the kernel's vmlinux or System.map (checked against the dump)
        OUTPUT is written under a temporary name and renamed when complete.
        """;

    public List<string> Files { get; } = [];

    public PageCompression? Compression { get; set; }

    public int DumpLevel { get; set; }

    public bool Flattened { get; set; }

    public bool Force { get; set; }

    public bool ZeroExcluded { get; set; }

    public string? Vmlinux { get; set; }

    public bool ShowHelp { get; set; }

    public IReadOnlyList<string> Inputs => Files.Take(Files.Count - 1).ToList();

    public string Output => Files[^1];

    /// <summary>Parses the arguments after "convert"; throws <see cref="UsageException"/> for a bad command line.</summary>
    public static ConvertOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ConvertOptions();
        bool optionsDone = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (optionsDone || a == "-" || !a.StartsWith('-'))
            {
                o.Files.Add(a);
                continue;
            }

            string? inline = null;
            int eq = a.IndexOf('=', StringComparison.Ordinal);
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = a[(eq + 1)..];
                a = a[..eq];
            }

            switch (a)
            {
                case "--compress":
                    o.Compression = ParseCodec(inline ?? Next(args, ref i, a));
                    break;
                case "-d":
                case "--dump-level":
                    o.DumpLevel = ParseLevel(inline ?? Next(args, ref i, a));
                    break;
                case "-F":
                case "--flattened":
                    o.Flattened = true;
                    break;
                case "-f":
                case "--force":
                    o.Force = true;
                    break;
                case "--zero-excluded":
                case "--zero_excluded":
                    o.ZeroExcluded = true;
                    break;
                case "--vmlinux":
                    o.Vmlinux = inline ?? Next(args, ref i, a);
                    break;
                case "-h":
                case "--help":
                    o.ShowHelp = true;
                    break;
                case "--":
                    optionsDone = true;
                    break;
                default:
                    // makedumpfile style: -d31
                    if (a.StartsWith("-d", StringComparison.Ordinal) && a.Length > 2 && char.IsAsciiDigit(a[2]))
                    {
                        o.DumpLevel = ParseLevel(a[2..]);
                        break;
                    }

                    throw new UsageException($"convert: unknown option {a}");
            }

            if (inline is not null && a is "-F" or "--flattened" or "-f" or "--force" or "--zero-excluded" or "--zero_excluded" or "--help")
            {
                throw new UsageException($"convert: option {a} takes no value");
            }
        }

        if (o.ShowHelp)
        {
            return o;
        }

        if (o.Compression is null)
        {
            throw new UsageException("convert: --compress CODEC is required (zlib, lzo, snappy, zstd or none)");
        }

        if (o.Files.Count < 2)
        {
            throw new UsageException(o.Files.Count == 0 ? "convert: no input dump and no output file given" : "convert: no output file given");
        }

        if (o.Output == "-" && !o.Flattened)
        {
            throw new UsageException("convert: writing to standard output needs -F (the flattened format)");
        }

        if (o.Inputs.Contains("-"))
        {
            throw new UsageException("convert: the input cannot be standard output's '-'; give the dump files");
        }

        return o;
    }

    private static PageCompression ParseCodec(string value) => value.ToLowerInvariant() switch
    {
        "zlib" => PageCompression.Zlib,
        "lzo" => PageCompression.Lzo,
        "snappy" => PageCompression.Snappy,
        "zstd" => PageCompression.Zstd,
        "none" => PageCompression.None,
        _ => throw new UsageException($"convert: unknown compression '{value}': use zlib, lzo, snappy, zstd or none"),
    };

    private static int ParseLevel(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int level) || level > DumpLevels.Max)
        {
            throw new UsageException($"convert: invalid dump level '{value}': dump levels are 0 to {DumpLevels.Max}");
        }

        return level;
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"convert: option {option} needs an argument");
        }

        return args[++i];
    }
}
