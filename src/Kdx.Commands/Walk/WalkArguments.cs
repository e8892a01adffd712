using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Model.Expressions;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// The argument rules <c>list</c> and <c>tree</c> share, after crash's tools.c (cmd_list, cmd_tree): an offset is a
/// number (crash's stol: decimal when all digits) or <c>struct.member</c> (its byte offset); a start is a symbol, an
/// expression, or a hexadecimal kernel address.
/// </summary>
internal static class WalkArguments
{
    /// <summary>A struct, union or typedef by the name crash's arg_to_datatype takes ("task_struct", "pg_data_t").</summary>
    public static KType? FindAggregate(KernelProgram program, string name) =>
        program.Types.FindType(name, TypeKind.Struct)
        ?? program.Types.FindType(name, TypeKind.Union)
        ?? program.Types.FindType(name, TypeKind.Typedef)
        ?? program.Types.FindType(name);

    /// <summary>
    /// The byte offset named by <c>struct.member[.member…]</c>, or false when the word is not of that form or the
    /// type or member does not exist (crash's arg_to_datatype returning less than 2).
    /// </summary>
    public static bool TryMemberOffset(KernelProgram program, string word, out ulong offset)
    {
        offset = 0;
        int dot = word.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == word.Length - 1)
        {
            return false;
        }

        var type = FindAggregate(program, word[..dot]);
        if (type is null || !type.Unaliased().IsCompound)
        {
            return false;
        }

        try
        {
            offset = KObject.OffsetOf(type, word[(dot + 1)..]);
            return true;
        }
        catch (KdxException)
        {
            return false;
        }
    }

    /// <summary>The value of an offset option (-o, -l, -O, -r): a number or <c>struct.member</c>.</summary>
    public static ulong ParseOffset(KernelProgram program, string word, string command, char option)
    {
        if (NumberArgument.TryParseNumber(word, out ulong value))
        {
            return value;
        }

        if (TryMemberOffset(program, word, out value))
        {
            return value;
        }

        throw new CommandException(option == 'l'
            ? $"{command}: invalid -l option: {word}"
            : $"{command}: invalid -{option} argument: {word}");
    }

    /// <summary>A symbol's address: the kernel's, then the modules' (crash's symbol_search).</summary>
    public static bool TryGetSymbolAddress(KernelProgram program, string name, out ulong address)
    {
        if (program.TryGetSymbol(name, out var symbol, out _))
        {
            address = symbol.Address;
            return true;
        }

        address = 0;
        return false;
    }

    /// <summary>
    /// A word that is not a plain number evaluated as an address expression ("(init_task+0x10)", "sym+8"), or null
    /// when it is neither an expression nor a known symbol.
    /// </summary>
    public static ulong? TryEvaluate(KernelProgram program, string word)
    {
        if (TryGetSymbolAddress(program, word, out ulong address))
        {
            return address;
        }

        try
        {
            return AddressArgument.Parse(word, program.Symbols);
        }
        catch (KdxException)
        {
        }

        // kdx also takes a C expression such as "init_mm.mm_mt": an object in memory stands for its address.
        try
        {
            var value = CExpression.Evaluate(program, word);
            return value.IsReference && !value.UnderlyingType.IsIntegerLike ? value.Address : value.ToUInt64();
        }
        catch (KdxException)
        {
            return null;
        }
    }

    /// <summary>crash's IS_KVADDR on x86_64: an address in the kernel's half of the address space.</summary>
    public static bool IsKernelAddress(KernelProgram program, ulong address) => address >= program.Layout.PageOffsetBase;

    /// <summary>Reads a pointer-sized value, failing as crash's readmem does ("invalid kernel virtual address: … type: …").</summary>
    public static ulong ReadPointer(KernelProgram program, ulong address, string what)
    {
        Span<byte> buffer = stackalloc byte[8];
        var status = program.Kernel.Read(address, buffer, out int read);
        if (status != ReadStatus.Ok)
        {
            ulong at = unchecked(address + (ulong)read);
            throw new CommandException(MemoryFaultText.Format(status, MemoryType.KernelVirtual, at, what,
                program.Kernel.ExplainFailure(at, status), program.Dump));
        }

        return BitConverter.ToUInt64(buffer);
    }

    /// <summary>Whether an address can be read (crash's readmem with RETURN_ON_ERROR|QUIET).</summary>
    public static bool CanRead(KernelProgram program, ulong address) => program.Kernel.TryReadUInt64(address, out _);

    /// <summary>An address as crash prints it (%lx).</summary>
    public static string Hex(ulong value) => value.ToString("x", CultureInfo.InvariantCulture);
}
