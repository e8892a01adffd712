using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Kdx.Commands.Infrastructure;

/// <summary>The commands of a session, by name and alias.</summary>
public sealed class CommandRegistry
{
    private readonly Dictionary<string, Command> _byName = new(StringComparer.Ordinal);
    private readonly List<Command> _commands = [];

    /// <summary>Creates a registry holding <paramref name="commands"/>.</summary>
    public CommandRegistry(IEnumerable<Command> commands)
    {
        foreach (var c in commands)
        {
            Add(c);
        }
    }

    /// <summary>Every command, sorted by name.</summary>
    public IReadOnlyList<Command> All => _commands;

    /// <summary>A registry with every command of the Kdx.Commands assembly.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Command types are kept by the assembly itself.")]
    public static CommandRegistry CreateDefault()
    {
        var types = typeof(Command).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Command)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null);
        return new CommandRegistry(types.Select(t => (Command)Activator.CreateInstance(t)!));
    }

    /// <summary>Finds a command by name or alias.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out Command? command) => _byName.TryGetValue(name, out command);

    private void Add(Command c)
    {
        foreach (var name in c.Aliases.Prepend(c.Name))
        {
            if (!_byName.TryAdd(name, c))
            {
                throw new InvalidOperationException($"two commands are named {name}");
            }
        }

        int i = _commands.FindIndex(x => string.CompareOrdinal(x.Name, c.Name) > 0);
        _commands.Insert(i < 0 ? _commands.Count : i, c);
    }
}
