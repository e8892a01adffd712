using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Model;

namespace Kdx.Commands.Symbols;

/// <summary><c>mod</c>: the loaded modules, and loading their object files for symbols, types and source lines, as crash's mod does.</summary>
public sealed class ModCommand : Command
{
    private const string Synopsis = "mod -s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]";
    private static readonly OptionParser Options = new("mod", "RDSotgr", "ds");

    /// <inheritdoc/>
    public override string Name => "mod";

    /// <inheritdoc/>
    public override string Summary => "module information and loading of symbols and debugging data";

    /// <inheritdoc/>
    public override string Usage => Synopsis;

    /// <inheritdoc/>
    public override string Help => """
        Without options, lists the loaded modules: the address of each struct module, its name, where
        its code starts, its size (the memory it keeps after loading) and the object file loaded for it,
        or "(not loaded)" when only the kernel's own symbol table of the module is known.

          -s module [objfile]  loads the module's object file (.ko): its symbols, its types (DWARF) and
                               source lines for "sym". Without objfile it is looked for under
                               /usr/lib/debug/lib/modules/RELEASE and /lib/modules/RELEASE; objfile may
                               also be a directory to look under.
          -S [directory]       loads the object file of every module found under the directory.
          -d module            forgets the object file loaded for a module.
          -D                   forgets every loaded object file.
          -R                   lists the modules again.

        The module may also be given as the 16-digit address of its struct module or of its code.

        Examples:
          kdx> mod
          kdx> mod -s vmlab /srv/build/vmlab.ko
          kdx> mod -S /srv/modules/6.1.0-56-cloud-amd64
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ParsedOptions options;
        try
        {
            options = Options.Parse(args);
        }
        catch (CommandException e)
        {
            context.WriteLine(e.Message);
            SymCommand.WriteUsage(context, Name, Synopsis);
            return;
        }

        var program = context.Session.Program;
        if (program.Modules.Count == 0)
        {
            context.WriteLine("no modules installed");
            return;
        }

        var actions = options.InOrder.Where(o => o.Name is "R" or "D" or "d" or "s" or "S" or "t" or "o").ToList();
        if (actions.Count > 1)
        {
            SymCommand.WriteUsage(context, Name, Synopsis);
            return;
        }

        string action = actions.Count == 0 ? string.Empty : actions[0].Name;
        var positionals = options.Positionals;
        switch (action)
        {
            case "":
            case "R":
                List(context, null, header: true);
                break;
            case "s":
                LoadOne(context, actions[0].Value!, positionals);
                break;
            case "S":
                LoadAll(context, positionals);
                break;
            case "d":
                if (FindModule(program, actions[0].Value!) is { } module)
                {
                    program.UnloadModuleDebugInfo(module);
                }
                else
                {
                    SymCommand.WriteUsage(context, Name, Synopsis);
                }

                break;
            case "D":
                foreach (var m in program.Modules)
                {
                    program.UnloadModuleDebugInfo(m);
                }

                break;
            case "o":
                break; // crash: revert to gdb's old add-symbol-file; nothing to do here.
            default:
                throw new CommandException("mod: -t (module taints) is not available yet");
        }
    }

    /// <summary>crash's do_module_cmd(LIST_MODULE[_HDR]): columns as wide as the longest name and size of all modules.</summary>
    private static void List(CommandContext context, KernelModule? only, bool header)
    {
        var program = context.Session.Program;
        var modules = SymbolOrder.ModulesByBase(program).ToList();
        int nameWidth = modules.Max(m => m.Name.Length);
        int sizeWidth = modules.Max(m => m.Size.ToString(CultureInfo.InvariantCulture).Length);
        if (header)
        {
            context.WriteLine($"{Center("MODULE", 16)}  {"NAME".PadRight(nameWidth)}  {Center("BASE", 16)}  {"SIZE".PadLeft(sizeWidth)}  OBJECT FILE");
        }

        foreach (var m in modules)
        {
            if (only is not null && m != only)
            {
                continue;
            }

            string file = program.DebugInfoOf(m) is { } info
                ? info.Path + " "
                : m.Symbols.Count > 0 ? "(not loaded)  [CONFIG_KALLSYMS]" : "(not loaded)";
            context.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{m.Address,16:x}  {m.Name.PadRight(nameWidth)}  {m.Base,16:x}  {m.Size.ToString(CultureInfo.InvariantCulture).PadLeft(sizeWidth)}  {file}"));
        }
    }

    // tools.c mkstring(CENTER|LJUST): an odd extra space goes to the right.
    private static string Center(string text, int width)
    {
        int extra = Math.Max(0, width - text.Length);
        return new string(' ', extra / 2) + text + new string(' ', extra - (extra / 2));
    }

    private static void LoadOne(CommandContext context, string moduleWord, List<string> positionals)
    {
        var program = context.Session.Program;
        if (FindModule(program, moduleWord) is not { } module || positionals.Count > 1)
        {
            SymCommand.WriteUsage(context, "mod", Synopsis);
            return;
        }

        string? file;
        if (positionals.Count == 1 && File.Exists(positionals[0]))
        {
            file = positionals[0];
        }
        else if (positionals.Count == 1)
        {
            file = Directory.Exists(positionals[0]) ? ModuleFiles.Find(module.Name, [positionals[0]]) : null;
            if (file is null)
            {
                throw new CommandException($"mod: {module.Name}: cannot find or load object file: {positionals[0]}");
            }
        }
        else
        {
            file = ModuleFiles.Find(module.Name, ModuleFiles.DefaultTrees(program))
                ?? throw new CommandException($"mod: cannot find or load object file for {module.Name} module");
        }

        if (!IsElf(file))
        {
            context.WriteLine($"mod: {file}: not an ELF format object file");
            SymCommand.WriteUsage(context, "mod", Synopsis);
            return;
        }

        Load(program, module, file);
        List(context, module, header: true);
    }

    private static void LoadAll(CommandContext context, List<string> positionals)
    {
        var program = context.Session.Program;
        if (positionals.Count > 1)
        {
            SymCommand.WriteUsage(context, "mod", Synopsis);
            return;
        }

        if (positionals.Count == 1 && !Directory.Exists(positionals[0]))
        {
            context.WriteLine($"mod: {positionals[0]} is not a directory");
            SymCommand.WriteUsage(context, "mod", Synopsis);
            return;
        }

        IReadOnlyList<string> trees = positionals.Count == 1 ? [positionals[0]] : ModuleFiles.DefaultTrees(program);
        bool listed = false;
        foreach (var m in SymbolOrder.ModulesByBase(program).ToList())
        {
            if (ModuleFiles.Find(m.Name, trees) is { } file)
            {
                if (!IsElf(file))
                {
                    context.WriteLine($"mod: {file}: not an ELF format object file");
                }
                else
                {
                    try
                    {
                        Load(program, m, file);
                    }
                    catch (KdxException)
                    {
                        context.WriteLine($"mod: cannot load symbols from: {file}");
                    }
                }
            }
            else if (program.DebugInfoOf(m) is null)
            {
                context.WriteLine($"mod: cannot find or load object file for {m.Name} module");
                continue;
            }

            List(context, m, header: !listed);
            listed = true;
        }
    }

    private static void Load(KernelProgram program, KernelModule module, string file)
    {
        try
        {
            program.LoadModuleDebugInfo(module, file);
        }
        catch (KdxException e)
        {
            throw new CommandException($"mod: cannot load symbols from: {file}: {e.Message}", e);
        }
    }

    /// <summary>A module by name, or by the 16-digit address of its struct module or its code (kernel.c is_module_address).</summary>
    private static KernelModule? FindModule(KernelProgram program, string word)
    {
        if (word.Length == 16 && NumberArgument.IsHexadecimal(word))
        {
            ulong address = NumberArgument.ParseHex(word);
            return program.Modules.FirstOrDefault(m => m.Address == address || m.Base == address) ?? program.ModuleAt(address);
        }

        return program.Modules.FirstOrDefault(m => m.Name == word);
    }

    private static bool IsElf(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("\u007fELF"u8);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
