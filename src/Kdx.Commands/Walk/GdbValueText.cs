using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// A member's value as gdb prints it for crash's <c>-s struct.member</c>: integers in the chosen radix (negative
/// numbers in hexadecimal as their two's complement), <c>true</c>/<c>false</c>, enumerator names, pointers in
/// hexadecimal with <c>&lt;symbol+offset&gt;</c> when they point into the kernel or a module, <c>char *</c> with the
/// string, and char arrays as a quoted string of the whole array (crash turns off gdb's repeat folding; the final
/// NUL is dropped, the others print as \000). Structures, unions and other arrays need the struct printer.
/// </summary>
internal sealed class GdbValueText(KernelProgram program, int radix)
{
    private readonly KernelSymbolText _kernelSymbols = new(program.Symbols, 10);
    private bool? _sized;

    // A System.map gives no sizes: then every symbol is taken as large enough, as crash's own lookups do.
    private bool Sized => _sized ??= program.Symbols.Any(s => s.Size != 0);

    public string Format(KObject value)
    {
        var type = value.UnderlyingType;
        switch (type.Kind)
        {
            case TypeKind.Bool when radix == 16:
                return string.Create(CultureInfo.InvariantCulture, $"0x{value.ToUInt64():x}"); // gdb with output-radix 16
            case TypeKind.Bool:
                return value.ToUInt64() != 0 ? "true" : "false";
            case TypeKind.Enum:
                ulong raw = value.ToUInt64();
                var e = type.Enumerators.FirstOrDefault(x => unchecked((ulong)x.Value) == raw);
                return e is not null ? e.Name : Integer(value, type);
            case TypeKind.Int:
                string number = Integer(value, type);
                return type.Size == 1 ? $"{number} {CharLiteral((byte)value.ToUInt64())}" : number;
            case TypeKind.Pointer:
                return Pointer(value, type);
            case TypeKind.Array when type.Target is { } element && IsChar(element.Type.Unaliased()):
                return QuotedArray(value.ReadBytes());
            default:
                throw new CommandException($"cannot show a member of type {value.Type} yet: kdx prints integers, enums, pointers and char arrays with -s");
        }
    }

    private string Integer(KObject value, KType type)
    {
        if (radix == 16)
        {
            ulong bits = value.ToUInt64();
            if (type.Size < 8 && value.BitFieldSize == 0)
            {
                bits &= (1UL << (int)(type.Size * 8)) - 1;
            }

            return string.Create(CultureInfo.InvariantCulture, $"0x{bits:x}");
        }

        return type.IsSigned
            ? value.ToInt64().ToString(CultureInfo.InvariantCulture)
            : value.ToUInt64().ToString(CultureInfo.InvariantCulture);
    }

    private string Pointer(KObject value, KType type)
    {
        ulong address = value.ToUInt64();
        string text = string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");
        if (address == 0)
        {
            return text;
        }

        if (type.Target is { } target && IsChar(target.Type.Unaliased()))
        {
            try
            {
                return $"{text} {Quoted(Encoding.Latin1.GetBytes(program.Kernel.ReadCString(address, 200, "char *")))}";
            }
            catch (MemoryFaultException)
            {
                return $"{text} <error: Cannot access memory at address {text}>";
            }
        }

        return SymbolOf(address) is { } symbol ? $"{text} <{symbol}>" : text;
    }

    // gdb's build_address_symbolic: the minimal symbol at or below, but not a data symbol of size 0 (linker-script
    // marks such as init_stack) nor an address past a sized symbol's end; a variable at exactly the address is named
    // by its C name, without the ".17" the compiler adds to a local static's ELF name. Module symbols come from the
    // module's kallsyms, without sizes: any offset in the module's memory is named ("__this_module+8", as crash's
    // gdb names a module's list link).
    private string? SymbolOf(ulong address)
    {
        Kdx.Core.Symbols.SymbolHit hit;
        if (program.ModuleAt(address) is { } module)
        {
            if (!module.Symbols.TryLookup(address, out hit))
            {
                return null;
            }

            string name = PreferredName(module.Symbols, hit);
            return hit.Offset == 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}+{hit.Offset}");
        }

        if (_kernelSymbols.Describe(address) is null || !program.Symbols.TryLookup(address, out hit))
        {
            return null;
        }

        var symbol = hit.Symbol;
        bool text = symbol.Type is 't' or 'T' or 'w' or 'W';
        if (Sized && ((symbol.Size == 0 && !text) || (symbol.Size != 0 && hit.Offset >= symbol.Size)))
        {
            return null;
        }

        if (hit.Offset != 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{symbol.Name}+{hit.Offset}");
        }

        int dot = symbol.Name.LastIndexOf('.');
        return !text && dot > 0 && symbol.Name.AsSpan(dot + 1).IndexOfAnyExceptInRange('0', '9') < 0 && dot < symbol.Name.Length - 1
            ? symbol.Name[..dot]
            : symbol.Name;
    }

    // module_init()/module_exit() make init_module and cleanup_module aliases of the module's own functions; crash's
    // gdb names the function ("vmlab_exit"), so an alias gives way to another name at the same address.
    private static string PreferredName(Kdx.Core.Symbols.SymbolTable symbols, Kdx.Core.Symbols.SymbolHit hit)
    {
        static bool IsAlias(string n) => n is "init_module" or "cleanup_module";
        if (!IsAlias(hit.Symbol.Name))
        {
            return hit.Symbol.Name;
        }

        ulong at = hit.Symbol.Address;
        for (int i = hit.Index; i >= 0 && symbols[i].Address == at; i--)
        {
            if (!IsAlias(symbols[i].Name))
            {
                return symbols[i].Name;
            }
        }

        for (int i = hit.Index + 1; i < symbols.Count && symbols[i].Address == at; i++)
        {
            if (!IsAlias(symbols[i].Name))
            {
                return symbols[i].Name;
            }
        }

        return hit.Symbol.Name;
    }

    private static bool IsChar(KType t) => t.Kind == TypeKind.Int && t.Size == 1;

    private static string QuotedArray(byte[] bytes)
    {
        int length = bytes.Length > 0 && bytes[^1] == 0 ? bytes.Length - 1 : bytes.Length;
        return Quoted(bytes.AsSpan(0, length));
    }

    private static string Quoted(ReadOnlySpan<byte> bytes)
    {
        var s = new StringBuilder("\"");
        foreach (byte b in bytes)
        {
            s.Append(Escape(b, '"'));
        }

        return s.Append('"').ToString();
    }

    private static string CharLiteral(byte b) => $"'{Escape(b, '\'')}'";

    private static string Escape(byte b, char quote) => b switch
    {
        (byte)'\\' => "\\\\",
        7 => "\\a",
        8 => "\\b",
        9 => "\\t",
        10 => "\\n",
        11 => "\\v",
        12 => "\\f",
        13 => "\\r",
        27 => "\\033",
        _ when b == quote => "\\" + quote,
        >= 0x20 and < 0x7f => ((char)b).ToString(),
        _ => "\\" + Convert.ToString(b, 8).PadLeft(3, '0'),
    };
}
