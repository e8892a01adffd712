using Kdx.Core.Model;

namespace Kdx.Commands.Symbols;

/// <summary>
/// Finding a module's object file as crash does (kernel.c find_module_objfile): NAME.ko (also .ko.debug,
/// .ko.xz is not read) anywhere under a directory tree, then with '_' written as '-' (module names use '_',
/// file names often '-'), and then with every '_' matching either. The default trees are
/// /usr/lib/debug/lib/modules/RELEASE and /lib/modules/RELEASE.
/// </summary>
internal static class ModuleFiles
{
    /// <summary>The trees searched when the user names none.</summary>
    public static IReadOnlyList<string> DefaultTrees(KernelProgram program) =>
        program.VmcoreInfo?.OsRelease is { } release
            ? [Path.Combine("/usr/lib/debug/lib/modules", release), Path.Combine("/lib/modules", release)]
            : [];

    /// <summary>The object file of <paramref name="module"/> under <paramref name="trees"/>, or null.</summary>
    public static string? Find(string module, IEnumerable<string> trees)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (string suffix in (ReadOnlySpan<string>)[".ko.debug", ".ko"])
        {
            wanted.Add(module + suffix);
            wanted.Add(module.Replace('_', '-') + suffix);
        }

        foreach (string tree in trees)
        {
            if (!Directory.Exists(tree))
            {
                continue;
            }

            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
            foreach (string file in Directory.EnumerateFiles(tree, "*.ko*", options))
            {
                string name = Path.GetFileName(file);
                if (wanted.Contains(name) || SameWithDashes(name, module))
                {
                    return file;
                }
            }
        }

        return null;
    }

    // "virtio_pci_modern_dev" matches "virtio-pci_modern-dev.ko": each '_' of the name may be '-' in the file.
    private static bool SameWithDashes(string fileName, string module)
    {
        int dot = fileName.IndexOf(".ko", StringComparison.Ordinal);
        if (dot != module.Length)
        {
            return false;
        }

        for (int i = 0; i < module.Length; i++)
        {
            if (fileName[i] != module[i] && !(module[i] == '_' && fileName[i] == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
