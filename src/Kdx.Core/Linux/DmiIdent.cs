using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux;

/// <summary>One string the firmware's DMI tables gave the kernel.</summary>
/// <param name="Index">Its index in dmi_ident[] (an enum dmi_field value).</param>
/// <param name="Field">The enumerator's name (DMI_BIOS_VENDOR …), or null when the kernel has no enum dmi_field type.</param>
/// <param name="Value">The string.</param>
public sealed record DmiString(int Index, string? Field, string Value);

/// <summary>
/// dmi_ident[] (drivers/firmware/dmi_scan.c): the DMI strings the kernel kept, one char pointer per enum
/// dmi_field value below DMI_STRING_MAX (include/linux/mod_devicetable.h); fields the firmware did not
/// give, and DMI_PRODUCT_UUID (kept elsewhere), are null pointers.
/// </summary>
public static class DmiIdent
{
    private const int MaxFields = 256;
    private const int MaxString = 1024;

    /// <summary>
    /// The fields that are set, in index order, with every enumerator name below the array's length (the
    /// names of unset fields too, which set the width crash aligns them to). Throws <see cref="KdxException"/>
    /// when the kernel has no dmi_ident.
    /// </summary>
    public static (IReadOnlyList<DmiString> Strings, IReadOnlyList<string> FieldNames) Read(IProgram program)
    {
        if (!program.TryGetSymbolAddress("dmi_ident", out ulong at))
        {
            throw new KdxException("dmi_ident does not exist in this kernel");
        }

        var fields = program.Types.FindType("dmi_field", TypeKind.Enum);
        int length = Length(program, fields);
        var names = new string?[length];
        if (fields is not null)
        {
            foreach (var e in fields.Enumerators)
            {
                if (e.Value < (ulong)length)
                {
                    names[(int)e.Value] ??= e.Name;
                }
            }
        }

        var strings = new List<DmiString>();
        for (int i = 0; i < length; i++)
        {
            ulong p = program.Memory.ReadUInt64(at + (ulong)(8 * i), "dmi_ident");
            if (p != 0)
            {
                strings.Add(new DmiString(i, names[i], program.Memory.ReadCString(p, MaxString, "dmi_ident string")));
            }
        }

        return (strings, fields is null ? [] : [.. names.Where(n => n is not null).Select(n => n!)]);
    }

    /// <summary>The array's length: its declared type, else DMI_STRING_MAX, else the symbol's size.</summary>
    private static int Length(IProgram program, KType? fields)
    {
        if (program.Types.FindVariableType("dmi_ident") is { } type && type.Type.Kind == TypeKind.Array && type.Type.Length is ulong n and > 0 and <= MaxFields)
        {
            return (int)n;
        }

        if (fields?.Enumerators.FirstOrDefault(e => e.Name == "DMI_STRING_MAX") is { } max && max.Value is > 0 and <= MaxFields)
        {
            return (int)max.Value;
        }

        if (program.Symbols.TryGetSymbol("dmi_ident", out var symbol) && symbol.Size / 8 is > 0 and <= MaxFields)
        {
            return (int)(symbol.Size / 8);
        }

        throw new KdxException("dmi_ident: its length is unknown (no type, no DMI_STRING_MAX, no symbol size)");
    }
}
