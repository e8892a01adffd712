using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Tasks;

/// <summary>
/// The meaning of the task state bits, read from the kernel itself: fs/proc/array.c's task_state_array
/// lists the states in bit order ("R (running)" is 0, then one bit per entry: S, D, T, t, X, Z, P, I), so
/// the bits are found from the strings rather than assumed from a version. The states that array does not
/// list (TASK_DEAD, TASK_WAKEKILL, TASK_WAKING, TASK_NOLOAD, TASK_NEW) follow the parked bit in that order
/// since v4.14 (commit 8ef9925b02c2 "sched/debug: Add explicit TASK_PARKED printing").
/// </summary>
public sealed class TaskStates
{
    /// <summary>The states of a v4.14+ kernel (include/linux/sched.h), used when the array cannot be read.</summary>
    public static TaskStates Default { get; } = new(interruptible: 1, uninterruptible: 2, stopped: 4, traced: 8, dead: 16 | 0x80, zombie: 32, parked: 0x40);

    private TaskStates(ulong interruptible, ulong uninterruptible, ulong stopped, ulong traced, ulong dead, ulong zombie, ulong parked)
    {
        Interruptible = interruptible;
        Uninterruptible = uninterruptible;
        Stopped = stopped;
        Traced = traced;
        Dead = dead;
        Zombie = zombie;
        Parked = parked;
        if (parked != 0)
        {
            Dead |= parked << 1;
            WakeKill = parked << 2;
            Waking = parked << 3;
            NoLoad = parked << 4;
            New = parked << 5;
        }
    }

    /// <summary>TASK_INTERRUPTIBLE.</summary>
    public ulong Interruptible { get; }

    /// <summary>TASK_UNINTERRUPTIBLE.</summary>
    public ulong Uninterruptible { get; }

    /// <summary>__TASK_STOPPED.</summary>
    public ulong Stopped { get; }

    /// <summary>__TASK_TRACED.</summary>
    public ulong Traced { get; }

    /// <summary>EXIT_DEAD and TASK_DEAD.</summary>
    public ulong Dead { get; }

    /// <summary>EXIT_ZOMBIE.</summary>
    public ulong Zombie { get; }

    /// <summary>TASK_PARKED.</summary>
    public ulong Parked { get; }

    /// <summary>TASK_WAKEKILL.</summary>
    public ulong WakeKill { get; }

    /// <summary>TASK_WAKING.</summary>
    public ulong Waking { get; }

    /// <summary>TASK_NOLOAD (with TASK_UNINTERRUPTIBLE: TASK_IDLE).</summary>
    public ulong NoLoad { get; }

    /// <summary>TASK_NEW.</summary>
    public ulong New { get; }

    /// <summary>Reads the kernel's task_state_array; falls back to <see cref="Default"/>.</summary>
    public static TaskStates Read(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("task_state_array", out ulong array))
        {
            return Default;
        }

        ulong interruptible = 0, uninterruptible = 0, stopped = 0, traced = 0, dead = 0, zombie = 0, parked = 0;
        ulong bit = 0;
        for (int i = 0; i < 16; i++)
        {
            if (!program.Memory.TryReadUInt64(array + ((ulong)i * 8), out ulong pointer) || pointer == 0)
            {
                break;
            }

            string name;
            try
            {
                name = program.Memory.ReadCString(pointer, 32, "task_state_array entry");
            }
            catch (KdxException)
            {
                break;
            }

            if (name.Length < 3 || name[1] != ' ' || name[2] != '(')
            {
                break;
            }

            switch (name[0])
            {
                case 'S': interruptible = bit; break;
                case 'D': uninterruptible = bit; break;
                case 'T': stopped = bit; break;
                case 't': traced = bit; break;
                case 'X': dead |= bit; break;
                case 'Z': zombie = bit; break;
                case 'P': parked = bit; break;
                default: break;
            }

            bit = bit == 0 ? 1 : bit << 1;
        }

        return interruptible == 0 || uninterruptible == 0 || stopped == 0 || zombie == 0
            ? Default
            : new TaskStates(interruptible, uninterruptible, stopped, traced, dead, zombie, parked);
    }

    /// <summary>
    /// crash's two-letter state: RU, IN, UN, ID (uninterruptible without load: TASK_IDLE), ZO, ST, TR, DE,
    /// PA, WA, NE; "??" for a value that matches none. When several bits are set the last test wins, as in crash.
    /// </summary>
    public string ShortName(ulong state)
    {
        string name = "??";
        bool set = false;
        if (state == 0)
        {
            name = "RU";
        }

        if ((state & Interruptible) != 0)
        {
            name = "IN";
            set = true;
        }

        if ((state & Uninterruptible) != 0)
        {
            name = NoLoad != 0 && (state & NoLoad) != 0 ? "ID" : "UN";
            set = true;
        }

        if ((state & Zombie) != 0)
        {
            name = "ZO";
            set = true;
        }

        if ((state & Stopped) != 0)
        {
            name = "ST";
            set = true;
        }

        if (Traced != 0 && (state & Traced) != 0)
        {
            name = "TR";
            set = true;
        }

        if ((state & Dead) != 0 && !set)
        {
            name = "DE";
        }

        if (Parked != 0 && state == Parked)
        {
            name = "PA";
        }

        if (Waking != 0 && state == Waking)
        {
            name = "WA";
        }

        if (New != 0 && state == New)
        {
            name = "NE";
        }

        return name;
    }
}
