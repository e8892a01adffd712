namespace Kdx.Commands.Infrastructure;

/// <summary>
/// crash-style option parsing: single-letter flags that may be bundled (<c>-ax</c>), letters that
/// take a value (<c>-o 8</c> or <c>-o8</c>), whole-word flags such as rd's <c>-64</c>, options anywhere
/// among the arguments (as GNU getopt permutes them), and <c>--</c> to end the options.
/// </summary>
public sealed class OptionParser
{
    private readonly string _command;
    private readonly string _flags;
    private readonly string _valued;
    private readonly HashSet<string> _words;

    /// <summary>Creates a parser for <paramref name="command"/>.</summary>
    /// <param name="command">The command name, for error messages.</param>
    /// <param name="flags">Letters that are flags without a value.</param>
    /// <param name="valued">Letters that take a value.</param>
    /// <param name="words">Whole-word options such as "64" (for <c>-64</c>); they take no value.</param>
    public OptionParser(string command, string flags, string valued = "", params string[] words)
    {
        _command = command;
        _flags = flags;
        _valued = valued;
        _words = [.. words];
    }

    /// <summary>Parses <paramref name="args"/>. Throws <see cref="CommandException"/> on an unknown option or a missing value.</summary>
    public ParsedOptions Parse(IReadOnlyList<string> args)
    {
        var result = new ParsedOptions();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (optionsEnded || a.Length < 2 || a[0] != '-')
            {
                result.Positionals.Add(a);
                continue;
            }

            if (a == "--")
            {
                optionsEnded = true;
                continue;
            }

            string body = a[1..];
            if (_words.Contains(body))
            {
                result.Add(body, null);
                continue;
            }

            for (int j = 0; j < body.Length; j++)
            {
                char c = body[j];
                if (_valued.Contains(c, StringComparison.Ordinal))
                {
                    string? value = j + 1 < body.Length ? body[(j + 1)..] : (i + 1 < args.Count ? args[++i] : null);
                    if (value is null)
                    {
                        throw new CommandException($"{_command}: option requires an argument -- '{c}'");
                    }

                    result.Add(c.ToString(), value);
                    break;
                }

                if (!_flags.Contains(c, StringComparison.Ordinal))
                {
                    throw new CommandException($"{_command}: invalid option -- '{c}'");
                }

                result.Add(c.ToString(), null);
            }
        }

        return result;
    }
}

/// <summary>The result of <see cref="OptionParser.Parse"/>.</summary>
public sealed class ParsedOptions
{
    private readonly Dictionary<string, List<string?>> _options = new(StringComparer.Ordinal);

    /// <summary>The arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>Options in the order given (name, value or null).</summary>
    public List<(string Name, string? Value)> InOrder { get; } = [];

    /// <summary>Whether the option was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>How many times the option was given (e.g. <c>-FF</c> is 2).</summary>
    public int Count(string name) => _options.TryGetValue(name, out var l) ? l.Count : 0;

    /// <summary>The last value of a valued option, or null.</summary>
    public string? Value(string name) => _options.TryGetValue(name, out var l) ? l[^1] : null;

    /// <summary>Every value of a repeatable valued option.</summary>
    public IReadOnlyList<string> Values(string name) =>
        _options.TryGetValue(name, out var l) ? l.Where(v => v is not null).Select(v => v!).ToList() : [];

    internal void Add(string name, string? value)
    {
        if (!_options.TryGetValue(name, out var l))
        {
            _options[name] = l = [];
        }

        l.Add(value);
        InOrder.Add((name, value));
    }
}
