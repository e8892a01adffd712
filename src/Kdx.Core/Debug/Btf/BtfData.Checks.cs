using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Btf;

/// <summary>The checks <see cref="Parse"/> makes, so that readers of a parsed blob can trust it.</summary>
public sealed partial class BtfData
{
    private void CheckStrings()
    {
        if (Base is null && (_stringLength == 0 || _blob[_strings] != 0))
        {
            throw new DumpFormatException(Name, _strings, "the BTF string section does not start with the empty string");
        }

        if (_stringLength > 0 && _blob[_strings + _stringLength - 1] != 0)
        {
            throw new DumpFormatException(Name, _strings + _stringLength - 1, "the BTF string section does not end with a NUL");
        }

        if ((ulong)FirstStringOffset + (ulong)_stringLength > MaxNameOffset + 1UL)
        {
            throw new DumpFormatException(Name, 20, $"the BTF string section ends past the highest string offset {MaxNameOffset:x}");
        }
    }

    /// <summary>Every name offset, type id and size a record holds is checked before anything reads it.</summary>
    private void CheckReferences()
    {
        for (int id = FirstId; id < EndId; id++)
        {
            var r = Record(id);
            CheckName(r, r.NameOffset, "name");
            switch (r.Kind)
            {
                case BtfKind.Int:
                    CheckInt(r);
                    break;
                case BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Variable:
                    CheckType(r, r.SizeOrType, "type", allowVoid: r.Kind != BtfKind.Variable);
                    break;
                case BtfKind.Function:
                    CheckId(r, r.SizeOrType, "type");
                    if (KindOf((int)r.SizeOrType) != BtfKind.FunctionProto)
                    {
                        throw Bad(r, $"refers to type {r.SizeOrType}, a {KindOf((int)r.SizeOrType)}, not a FUNC_PROTO");
                    }

                    break;
                case BtfKind.DeclTag:
                    CheckId(r, r.SizeOrType, "type");
                    if ((int)r.Word(0) < -1)
                    {
                        throw Bad(r, $"has component index {(int)r.Word(0)}");
                    }

                    break;
                case BtfKind.Array:
                    CheckType(r, r.Word(0), "element type", allowVoid: false);
                    CheckId(r, r.Word(1), "index type");
                    break;
                case BtfKind.Struct or BtfKind.Union:
                    CheckMembers(r);
                    break;
                case BtfKind.Enum or BtfKind.Enum64:
                    CheckEnum(r);
                    break;
                case BtfKind.FunctionProto:
                    CheckParameters(r);
                    break;
                case BtfKind.DataSection:
                    CheckSection(r);
                    break;
                case BtfKind.Float when r.SizeOrType is not (2 or 4 or 8 or 12 or 16):
                    throw Bad(r, $"is a float of {r.SizeOrType} bytes");
            }
        }
    }

    private void CheckInt(BtfRecord r)
    {
        uint encoding = r.Word(0);
        uint bits = encoding & 0xff;
        uint offset = (encoding >> 16) & 0xff;
        if (r.SizeOrType is not (1 or 2 or 4 or 8 or 16))
        {
            throw Bad(r, $"is an integer of {r.SizeOrType} bytes");
        }

        if (bits == 0 || bits > 128 || offset + bits > r.SizeOrType * 8)
        {
            throw Bad(r, $"is an integer of {r.SizeOrType} bytes with {bits} bits at bit {offset}");
        }
    }

    private void CheckMembers(BtfRecord r)
    {
        for (int i = 0; i < r.Vlen; i++)
        {
            CheckName(r, r.Word(3 * i), $"member {i} name");
            CheckType(r, r.Word((3 * i) + 1), $"member {i} type", allowVoid: false);
            if (r.KindFlag && (r.Word((3 * i) + 2) >> 24) > 128)
            {
                throw Bad(r, $"member {i} is a bit field of {r.Word((3 * i) + 2) >> 24} bits");
            }
        }
    }

    private void CheckEnum(BtfRecord r)
    {
        if (r.SizeOrType is not (1 or 2 or 4 or 8))
        {
            throw Bad(r, $"is an enum of {r.SizeOrType} bytes");
        }

        int stride = r.Kind == BtfKind.Enum ? 2 : 3;
        for (int i = 0; i < r.Vlen; i++)
        {
            CheckName(r, r.Word(stride * i), $"enumerator {i} name");
        }
    }

    private void CheckParameters(BtfRecord r)
    {
        CheckType(r, r.SizeOrType, "return type", allowVoid: true);
        for (int i = 0; i < r.Vlen; i++)
        {
            uint name = r.Word(2 * i);
            uint type = r.Word((2 * i) + 1);
            CheckName(r, name, $"parameter {i} name");

            // "..." is a last parameter with neither name nor type.
            bool variadic = i == r.Vlen - 1 && name == 0 && type == 0;
            if (!variadic)
            {
                CheckType(r, type, $"parameter {i} type", allowVoid: false);
            }
        }
    }

    private void CheckSection(BtfRecord r)
    {
        for (int i = 0; i < r.Vlen; i++)
        {
            uint type = r.Word(3 * i);
            CheckId(r, type, $"variable {i}");
            if (KindOf((int)type) is not (BtfKind.Variable or BtfKind.Function))
            {
                throw Bad(r, $"variable {i} is type {type}, a {KindOf((int)type)}, not a VAR");
            }
        }
    }

    private void CheckName(BtfRecord r, uint offset, string what)
    {
        if (offset != 0 && (ulong)offset >= (ulong)FirstStringOffset + (ulong)_stringLength)
        {
            throw Bad(r, $"{what} offset {offset} is past the end of the string section ({FirstStringOffset + (ulong)_stringLength})");
        }
    }

    private void CheckId(BtfRecord r, uint id, string what)
    {
        if (id >= (uint)EndId)
        {
            throw Bad(r, $"{what} {id} is out of range (the last type is {EndId - 1})");
        }
    }

    private void CheckType(BtfRecord r, uint id, string what, bool allowVoid)
    {
        CheckId(r, id, what);
        if (id == 0)
        {
            if (!allowVoid)
            {
                throw Bad(r, $"{what} is void");
            }

            return;
        }

        var kind = KindOf((int)id);
        if (kind is BtfKind.Function or BtfKind.Variable or BtfKind.DataSection or BtfKind.DeclTag)
        {
            throw Bad(r, $"{what} {id} is a {kind}, not a type");
        }
    }

    /// <summary>
    /// In C a type refers to itself only through a pointer to a struct or union: a struct holds a pointer to
    /// itself, never itself. So every loop of references has a pointer and a member in it; one without a
    /// pointer (a struct that contains itself, an anonymous union inside itself) or without a member (a
    /// typedef of itself, a pointer to itself) would send a reader round for ever. Both are refused, and so
    /// are chains nested deeper than <see cref="MaxNesting"/>, which recursive readers could not follow.
    /// </summary>
    private void CheckChains()
    {
        CheckAcyclic(ValueTarget, "contains itself (a loop of types that refer to each other without a pointer)");
        CheckAcyclic(DeclaratorTarget, "is part of a loop of types that refer to each other without a struct or union");
    }

    /// <summary>Types nest (typedefs, pointers, arrays, members by value) at most this deep.</summary>
    public const int MaxNesting = 256;

    private void CheckAcyclic(Func<int, int, int> target, string loop)
    {
        var state = new byte[LocalCount]; // 0 unseen, 1 on the current path, 2 done
        var depth = new int[LocalCount];
        var stack = new Stack<(int Id, int Next)>();
        for (int root = FirstId; root < EndId; root++)
        {
            if (state[root - FirstId] != 0)
            {
                continue;
            }

            stack.Push((root, 0));
            state[root - FirstId] = 1;
            while (stack.Count > 0)
            {
                var (id, next) = stack.Pop();
                if (next > 0 && target(id, next - 1) is int done && done >= FirstId)
                {
                    // The reference taken last is finished now: the type is at least one deeper than it.
                    int d = depth[done - FirstId] + 1;
                    if (d > MaxNesting)
                    {
                        throw Bad(Record(id), $"nests types more than {MaxNesting} deep");
                    }

                    depth[id - FirstId] = Math.Max(depth[id - FirstId], d);
                }

                int t = target(id, next);
                if (t < 0)
                {
                    state[id - FirstId] = 2;
                    continue;
                }

                stack.Push((id, next + 1));
                if (t >= FirstId && state[t - FirstId] == 0)
                {
                    state[t - FirstId] = 1;
                    stack.Push((t, 0));
                }
                else if (t >= FirstId && state[t - FirstId] == 1)
                {
                    throw Bad(Record(id), $"{loop} (through type {t})");
                }
            }
        }
    }

    /// <summary>What a type holds by value: a typedef's or qualifier's type, an array's element, a struct's members.</summary>
    private int ValueTarget(int id, int index)
    {
        switch (_kinds[id - FirstId])
        {
            case BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Variable:
                return index == 0 ? (int)Record(id).SizeOrType : -1;
            case BtfKind.Array:
                return index == 0 ? (int)Record(id).Word(0) : -1;
            case BtfKind.Struct or BtfKind.Union:
                var r = Record(id);
                return index < r.Vlen ? (int)r.Word((3 * index) + 1) : -1;
            default:
                return -1;
        }
    }

    /// <summary>What a C declarator of the type spells out: targets of pointers, typedefs, arrays, function types.</summary>
    private int DeclaratorTarget(int id, int index)
    {
        switch (_kinds[id - FirstId])
        {
            case BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
                or BtfKind.TypeTag or BtfKind.Function or BtfKind.Variable or BtfKind.DeclTag:
                return index == 0 ? (int)Record(id).SizeOrType : -1;
            case BtfKind.Array:
                return index == 0 ? (int)Record(id).Word(0) : -1;
            case BtfKind.FunctionProto:
                var r = Record(id);
                return index == 0 ? (int)r.SizeOrType : index <= r.Vlen ? (int)r.Word((2 * (index - 1)) + 1) : -1;
            default:
                return -1;
        }
    }

    private DumpFormatException Bad(BtfRecord r, string problem) =>
        new(Name, r.Offset, $"BTF type {r.Id} ({r.Kind}) {problem}");
}
