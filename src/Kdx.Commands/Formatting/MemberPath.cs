using System.Globalization;
using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Formatting;

/// <summary>
/// crash's member paths: "pid", "se.load", "comm[1]", "sighand.action[0]" — members through nested
/// structs (following pointers is left to expressions) and array elements.
/// </summary>
public static class MemberPath
{
    /// <summary>The member of <paramref name="owner"/> that <paramref name="path"/> names.</summary>
    public static KObject Resolve(KObject owner, string path)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(path);
        var o = owner;
        foreach (var part in path.Split('.'))
        {
            int bracket = part.IndexOf('[', StringComparison.Ordinal);
            string name = bracket < 0 ? part : part[..bracket];
            o = o.UnderlyingType.Kind == TypeKind.Pointer ? o.Deref() : o;
            if (!o.HasMember(name))
            {
                throw new KdxException($"invalid data structure reference: {path}");
            }

            o = o.Member(name);
            while (bracket >= 0)
            {
                int close = part.IndexOf(']', bracket);
                if (close < 0 || !long.TryParse(part.AsSpan(bracket + 1, close - bracket - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out long index))
                {
                    throw new KdxException($"invalid data structure reference: {path}");
                }

                o = o.Index(index);
                bracket = part.IndexOf('[', close);
            }
        }

        return o;
    }

    /// <summary>
    /// The byte offset of <paramref name="path"/> in <paramref name="type"/> and the member's type
    /// ("se.load", "comm[1]"), or false when it does not name a member.
    /// </summary>
    public static bool TryOffset(KType type, string path, out ulong offset, out QualifiedType memberType)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(path);
        ulong bits = 0;
        memberType = type;
        offset = 0;
        var t = type.Unaliased();
        foreach (var part in path.Split('.'))
        {
            int bracket = part.IndexOf('[', StringComparison.Ordinal);
            string name = bracket < 0 ? part : part[..bracket];
            if (!t.IsCompound || !t.TryFindMember(name, out var m, out var b))
            {
                return false;
            }

            bits += b;
            memberType = m.Type;
            t = m.Type.Type.Unaliased();
            while (bracket >= 0)
            {
                int close = part.IndexOf(']', bracket);
                if (t.Kind != TypeKind.Array || close < 0 || !ulong.TryParse(part.AsSpan(bracket + 1, close - bracket - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong index))
                {
                    return false;
                }

                memberType = t.Target!.Value;
                bits += index * memberType.Type.Unaliased().Size * 8;
                t = memberType.Type.Unaliased();
                bracket = part.IndexOf('[', close);
            }
        }

        offset = bits / 8;
        return true;
    }
}
