using System.Globalization;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Modules;

/// <summary>
/// Where the kernel put each ELF section of a loaded module: the <c>sect_attrs</c> of its <c>struct module</c>
/// (kernel/module/sysfs.c, Linux 6.1 to 6.12: <c>struct module_sect_attrs { ...; unsigned int nsections;
/// struct module_sect_attr attrs[]; }</c>, each attr a <c>bin_attribute</c> named after the section and the
/// section's <c>address</c>), which is what /sys/module/NAME/sections shows.
/// </summary>
public static class ModuleSections
{
    /// <summary>
    /// Section name → run-time address; empty when the kernel keeps no section attributes (CONFIG_KALLSYMS
    /// off) or they cannot be read (the reason goes to <paramref name="warnings"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, ulong> Read(KernelProgram program, KernelModule module, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(warnings);
        var sections = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (program.Types.FindType("module", TypeKind.Struct) is not { IsComplete: true } type)
        {
            warnings.Add("struct module is not in the kernel's types: the module's section addresses are unknown");
            return sections;
        }

        try
        {
            var mod = KObject.FromAddress(program, type, module.Address);
            if (!mod.HasMember("sect_attrs") || mod["sect_attrs"].IsNull)
            {
                warnings.Add($"module {module.Name} has no section attributes (sect_attrs)");
                return sections;
            }

            var attrs = mod["sect_attrs"].Deref();
            long count = attrs["nsections"].ToInt64();
            if (count < 0 || count > program.Dump.Options.Limits.MaxSectionHeaders)
            {
                throw new KdxException(string.Create(CultureInfo.InvariantCulture, $"module {module.Name}: {count} section attributes (at most {program.Dump.Options.Limits.MaxSectionHeaders} are read)"));
            }

            var list = attrs["attrs"];
            for (long i = 0; i < count; i++)
            {
                var attr = list[i];
                string name = attr["battr"]["attr"]["name"].ReadCString(256);
                sections.TryAdd(name, attr["address"].ToUInt64());
            }
        }
        catch (KdxException e)
        {
            warnings.Add($"module {module.Name}: its section addresses cannot be read: {e.Message}");
        }

        return sections;
    }
}
