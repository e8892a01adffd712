using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Linux.Tasks;

/// <summary>Where a task's struct thread_info lives.</summary>
public static class ThreadInfo
{
    /// <summary>
    /// The address of the task's struct thread_info: inside the task_struct when it has a thread_info member
    /// (CONFIG_THREAD_INFO_IN_TASK, v4.9 commit c65eacbe290b "sched/core: Allow putting thread_info into
    /// task_struct"; always on x86_64 since v4.9), else at the base of its kernel stack (task->stack); null when
    /// the kernel has no struct thread_info.
    /// </summary>
    public static ulong? AddressOf(IProgram program, KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(task);
        if (program.Types.FindType("thread_info", TypeKind.Struct) is null)
        {
            return null;
        }

        var layout = StructLayout.Find(program.Types, "task_struct");
        if (layout.TryOffset("thread_info") is int offset &&
            program.Types.FindType("task_struct", TypeKind.Struct)!.TryFindMember("thread_info", out var m, out _) &&
            m.Type.Type.Unaliased().Kind == TypeKind.Struct)
        {
            return task.Address + (ulong)offset;
        }

        return task.Stack != 0 ? task.Stack : null;
    }
}
