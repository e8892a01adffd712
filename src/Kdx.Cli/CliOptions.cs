using Kdx.Core;

namespace Kdx.Cli;

/// <summary>The parsed command line of <c>kdx</c> (crash-compatible where crash has the option).</summary>
internal sealed class CliOptions
{
    public List<string> Files { get; } = [];

    public List<string> Commands { get; } = [];

    public string? InputFile { get; set; }

    public bool Silent { get; set; }

    public bool ZeroExcluded { get; set; }

    public bool ShowHelp { get; set; }

    public bool ShowVersion { get; set; }

    /// <summary>Parses the arguments; throws <see cref="UsageException"/> for a bad command line.</summary>
    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CliOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "-s":
                    o.Silent = true;
                    break;
                case "-c":
                    o.Commands.Add(Next(args, ref i, a));
                    break;
                case "-i":
                    o.InputFile = Next(args, ref i, a);
                    break;
                case "--zero-excluded":
                case "--zero_excluded":
                    o.ZeroExcluded = true;
                    break;
                case "-h":
                case "--help":
                    o.ShowHelp = true;
                    break;
                case "-v":
                case "--version":
                    o.ShowVersion = true;
                    break;
                case "--":
                    o.Files.AddRange(args.Skip(i + 1));
                    return o;
                default:
                    if (a.StartsWith('-') && a.Length > 1)
                    {
                        throw new UsageException($"unknown option {a}");
                    }

                    o.Files.Add(a);
                    break;
            }
        }

        return o;
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"option {option} needs an argument");
        }

        return args[++i];
    }
}

/// <summary>A bad command line: reported with the usage text and exit status 2.</summary>
internal sealed class UsageException : KdxException
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
