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
    /// C types can refer to themselves only through a struct or union member (a pointer to an incomplete
    /// struct). Any other loop (a typedef of itself, a pointer to itself) would make a reader go round for
    /// ever: depth-first search over the other references finds one.
    /// </summary>
    private void CheckChains()
    {
        var state = new byte[LocalCount]; // 0 unseen, 1 on the current path, 2 done
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
                int target = ChainTarget(id, next);
                if (target < 0)
                {
                    state[id - FirstId] = 2;
                    continue;
                }

                stack.Push((id, next + 1));
                if (target < FirstId)
                {
                    continue; // the base is checked and never refers to split types
                }

                switch (state[target - FirstId])
                {
                    case 0:
                        state[target - FirstId] = 1;
                        stack.Push((target, 0));
                        break;
                    case 1:
                        var r = Record(id);
                        throw Bad(r, $"is part of a loop of types that refer to each other (through type {target}) without a struct or union");
                }
            }
        }
    }

    /// <summary>The <paramref name="index"/>-th type a type refers to other than through members; -1 when no more.</summary>
    private int ChainTarget(int id, int index)
    {
        if (_kinds[id - FirstId] is BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Int
            or BtfKind.Float or BtfKind.Forward or BtfKind.DataSection)
        {
            return -1;
        }

        var r = Record(id);
        switch (r.Kind)
        {
            case BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
                or BtfKind.TypeTag or BtfKind.Function or BtfKind.Variable or BtfKind.DeclTag:
                return index == 0 ? (int)r.SizeOrType : -1;
            case BtfKind.Array:
                return index == 0 ? (int)r.Word(0) : -1;
            case BtfKind.FunctionProto:
                return index == 0 ? (int)r.SizeOrType : index <= r.Vlen ? (int)r.Word((2 * (index - 1)) + 1) : -1;
            default:
                return -1;
        }
    }

    private DumpFormatException Bad(BtfRecord r, string problem) =>
        new(Name, r.Offset, $"BTF type {r.Id} ({r.Kind}) {problem}");
}
