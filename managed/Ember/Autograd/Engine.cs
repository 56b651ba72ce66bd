namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// Runs the backward graph: finds the nodes reachable from the roots, counts for each how many edges
    /// lead into it, and runs a node once all its gradients arrived (the last to become ready first, which
    /// frees each branch's gradients before starting another).
    /// No recursion, so graphs of any depth work; all state of a run is local, so independent graphs can
    /// run on several threads at once.
    /// </summary>
    internal static class Engine
    {
        internal sealed class Task(Node node, int outputs)
        {
            public Node Node = node;
            public readonly Tensor?[] Buffer = new Tensor?[outputs];
            public int Dependencies;
            public bool Reaches;   // a gradient arriving here is wanted (Grad: an input lies at or beyond it)
            public bool Executes;  // the node runs (Grad: an input lies beyond it)
            public List<int>?[]? Captures; // Grad: the result indices captured at each slot
            public byte Visit;     // MarkCaptures' walk: 1 = entered, 2 = done
            public bool Accumulated; // a producer added into the leaf's Grad in place (GradAccumulator.TryAccumulate)

            /// <summary>Adds a gradient into a slot; in place only into a tensor no one else can see.</summary>
            public void Add(int slot, Tensor g, bool createGraph)
            {
                Tensor? old = Buffer[slot];
                if (old is null)
                {
                    Buffer[slot] = g;
                    return;
                }
                if (!createGraph && old._viewBase is null && old.DType == g.DType)
                {
                    old.Add_(g);
                    g.Dispose();
                    return;
                }
                Buffer[slot] = old + g;
                old.Dispose();
                g.Dispose();
            }
        }

        /// <summary>
        /// The tasks and collections of one run, kept per thread (<see cref="AutogradThread.Engine"/>) so that small
        /// backwards allocate little (a nested run, from a checkpoint, finds it in use and gets its own). A run finds a
        /// node's task through a field of the node that it claims for the run's duration; a node another run holds at
        /// the same time (a leaf shared by graphs on two threads) has its task in a dictionary instead.
        /// </summary>
        internal sealed class RunState
        {
            /// <summary>True while a run uses it.</summary>
            public bool InUse;

            public readonly List<Task> All = [];
            public readonly Dictionary<Node, Task> Shared = new(ReferenceEqualityComparer.Instance);
            public readonly Stack<Task> Ready = new();
            public readonly Stack<Node> Stack = new();

            public Task? Find(Node node) =>
                ReferenceEquals(Volatile.Read(ref node.RunOwner), this) ? (Task)node.RunTask! : Shared.Count == 0 ? null : Shared.GetValueOrDefault(node);

            // FusionTargets' array for nodes of two inputs (the common case), reused: a node's ApplyInto ends before the next starts.
            public readonly GradAccumulator?[] Into2 = new GradAccumulator?[2];

            // RunChain's gradient buffer for nodes of one output, reused the same way.
            public readonly Tensor?[] Buffer1 = new Tensor?[1];

            public Task Get(Node node) => Find(node) ?? throw new AutogradException($"internal: {node.Name} was not discovered");

            // Tasks of one output are reused from run to run.
            private readonly Stack<Task> _pool = new();

            public Task Add(Node node)
            {
                int outputs = node.NumOutputs;
                Task task;
                if (outputs == 1 && _pool.TryPop(out Task? pooled))
                {
                    task = pooled;
                    task.Node = node;
                }
                else
                {
                    task = new Task(node, outputs);
                }
                All.Add(task);
                if (Interlocked.CompareExchange(ref node.RunOwner, this, null) is null)
                    node.RunTask = task;
                else
                    Shared[node] = task;
                return task;
            }

            public void Clear()
            {
                foreach (Task t in All)
                {
                    if (ReferenceEquals(t.Node.RunOwner, this))
                    {
                        t.Node.RunTask = null;
                        Volatile.Write(ref t.Node.RunOwner, null);
                    }
                    if (t.Buffer.Length == 1 && _pool.Count < 256)
                    {
                        t.Node = null!;
                        t.Dependencies = 0;
                        t.Reaches = t.Executes = false;
                        t.Captures = null;
                        t.Visit = 0;
                        t.Accumulated = false;
                        _pool.Push(t);
                    }
                }
                All.Clear();
                Array.Clear(Into2); // holds no accumulator (and so no leaf's gradient) past the run
                Shared.Clear();
                Ready.Clear();
                Stack.Clear();
            }
        }

        /// <summary>
        /// Runs a plain backward (no createGraph, no captures; the caller has excluded anomaly mode) from one root seeded
        /// with <paramref name="grad"/> (owned by the engine from here on); <paramref name="thread"/> is the calling thread's state.
        /// </summary>
        public static void Run(Edge root, Tensor grad, bool keepGraph, AutogradThread thread)
        {
            if (IsChain(root.Node))
                RunChain(root, grad, keepGraph, thread);
            else
                Run(new ReadOnlySpan<Edge>(ref root), new Span<Tensor>(ref grad), keepGraph, createGraph: false, captures: null, thread);
        }

        /// <summary>
        /// True when the graph below <paramref name="node"/> is a chain: each node has no hooks and at most one edge to
        /// a node other than a leaf's accumulator, and every accumulator it reaches is direct
        /// (<see cref="GradAccumulator.IsDirect"/>). Such a graph has one order of execution and nothing to count,
        /// queue or sum, so <see cref="RunChain"/> walks it without the general run's bookkeeping, with the same results.
        /// </summary>
        private static bool IsChain(Node? node)
        {
            if (node is null)
                return false;
            do
            {
                if (node is GradAccumulator || node.HasPreHooks)
                    return false;
                Node? next = null;
                foreach (Edge e in node.Next)
                {
                    if (e.Node is null)
                        continue;
                    if (e.Node is GradAccumulator acc)
                    {
                        if (!acc.IsDirect)
                            return false;
                        continue;
                    }
                    if (next is not null)
                        return false; // a second edge into the graph (to this node or another): the general run orders and sums
                    next = e.Node;
                }
                node = next;
            }
            while (node is not null);
            return true;
        }

        /// <summary>
        /// The general run's loop for a graph <see cref="IsChain"/> accepted, step for step: each node runs on the one
        /// gradient that reaches it (adding into its leaves in place where it can, as FusionTargets allows), releases
        /// what it saved, adds the gradients of its leaves that it did not add in place, and hands the rest on.
        /// </summary>
        private static void RunChain(Edge root, Tensor grad, bool keepGraph, AutogradThread thread)
        {
            RunState state = thread.Engine is { InUse: false } kept ? kept : new RunState();
            state.InUse = true;
            GradMode.State? previousMode = GradMode.Override(thread, GradMode.State.Disabled);
            Node? node = root.Node;
            int slot = root.InputNr;
            Tensor? g = grad;
            Tensor?[]? buffer = null;
            try
            {
                while (node is not null)
                {
                    int n = node.NumOutputs;
                    buffer = n == 1 ? state.Buffer1 : new Tensor?[n];
                    buffer[slot] = g;
                    g = null;
                    GradAccumulator?[]? into = node.AccumulatesInto ? FusionTargets(node, state) : null;
                    Tensor?[] outputs = Execute(node, buffer, anomaly: false, checkNan: false, into);
                    if (!keepGraph)
                        node.ReleaseSaved();
                    Edge[] next = node.Next;
                    Node? following = null;
                    int followingSlot = 0;
                    for (int i = 0; i < next.Length; i++)
                    {
                        Tensor? o = i < outputs.Length ? outputs[i] : null;
                        Node? target = next[i].Node;
                        if (target is null)
                            o?.Dispose();
                        else if (target is GradAccumulator acc)
                        {
                            if (o is not null)
                                acc.Accumulate(o); // what was not added in place (a direct leaf has no task)
                        }
                        else
                        {
                            following = target;
                            followingSlot = next[i].InputNr;
                            g = o; // null when no gradient flows on: the rest of the chain then only releases what it saved
                        }
                    }
                    for (int i = next.Length; i < outputs.Length; i++)
                        outputs[i]?.Dispose();
                    node = following;
                    slot = followingSlot;
                }
            }
            finally
            {
                GradMode.Override(thread, previousMode);
                g?.Dispose();
                if (buffer is not null)
                    DisposeAll(buffer); // empty unless a node threw
                Array.Clear(state.Into2);
                state.InUse = false;
                thread.Engine ??= state;
            }
        }

        /// <summary>Runs backward from <paramref name="roots"/> seeded with <paramref name="grads"/> (owned by the engine from here on).</summary>
        /// <returns>With <paramref name="captures"/>: the gradient arriving at each captured edge (null when none); else null.</returns>
        public static Tensor?[]? Run(ReadOnlySpan<Edge> roots, Span<Tensor> grads, bool keepGraph, bool createGraph, Edge[]? captures) =>
            Run(roots, grads, keepGraph, createGraph, captures, AutogradThread.Current);

        private static Tensor?[]? Run(ReadOnlySpan<Edge> roots, Span<Tensor> grads, bool keepGraph, bool createGraph, Edge[]? captures, AutogradThread thread)
        {
            RunState state = thread.Engine is { InUse: false } kept ? kept : new RunState();
            state.InUse = true;
            List<Task> tasks = state.All;
            Tensor?[]? results = captures is null ? null : new Tensor?[captures.Length];
            GradMode.State? previousMode = GradMode.Override(thread, createGraph ? GradMode.State.Enabled : GradMode.State.Disabled);
            bool checkNan = Anomaly.CheckNan;
            bool anomaly = Anomaly.IsEnabled;
            // Producers may add straight into leaves' gradients in place only in a plain backward: Autograd.Grad
            // must leave Grad alone, createGraph needs the sum recorded, and anomaly mode checks every output.
            bool fuse = captures is null && !createGraph && !anomaly;
            try
            {
                Discover(roots, state, fuse);
                if (captures is null)
                {
                    foreach (Task t in tasks)
                        t.Reaches = t.Executes = true;
                }
                else
                {
                    MarkCaptures(captures, state);
                }

                Stack<Task> ready = state.Ready;
                for (int i = 0; i < roots.Length; i++)
                {
                    Task t = state.Get(roots[i].Node!);
                    Tensor g = grads[i];
                    grads[i] = null!;
                    if (t.Reaches)
                        t.Add(roots[i].InputNr, g, createGraph);
                    else
                        g.Dispose();
                }
                foreach (Edge root in roots)
                {
                    Task t = state.Get(root.Node!);
                    if (t.Dependencies == 0 && t.Reaches)
                    {
                        t.Dependencies = -1; // queued
                        ready.Push(t);
                    }
                }

                while (ready.TryPop(out Task? task))
                {
                    Node node = task.Node;
                    Tensor?[] buffer = task.Buffer;
                    if (node.HasPreHooks)
                        node.RunPreHooks(buffer);
                    if (task.Captures is not null)
                        Capture(task, results!);
                    if (!task.Executes)
                    {
                        DisposeAll(buffer);
                        continue;
                    }

                    if (task.Accumulated && node is GradAccumulator accumulated && buffer[0] is null)
                    {
                        accumulated.RunPostHooks(); // every gradient of this leaf was added in place by its producers
                        continue;
                    }

                    GradAccumulator?[]? into = fuse && node.AccumulatesInto ? FusionTargets(node, state) : null;
                    Tensor?[] outputs = Execute(node, buffer, anomaly, checkNan, into);
                    if (!keepGraph)
                        node.ReleaseSaved();

                    Edge[] next = node.Next;
                    for (int i = 0; i < next.Length; i++)
                    {
                        Tensor? g = i < outputs.Length ? outputs[i] : null;
                        Node? target = next[i].Node;
                        if (target is null)
                        {
                            g?.Dispose();
                            continue;
                        }
                        Task? child = state.Find(target);
                        if (child is null)
                        {
                            // A leaf Discover left without a task: what was not added in place is added now.
                            if (g is not null)
                                ((GradAccumulator)target).Accumulate(g);
                            continue;
                        }
                        if (into is not null && into[i] is not null)
                            child.Accumulated = true;
                        if (g is not null)
                        {
                            if (child.Reaches)
                                child.Add(next[i].InputNr, g, createGraph);
                            else
                                g.Dispose();
                        }
                        if (--child.Dependencies == 0 && child.Reaches)
                        {
                            child.Dependencies = -1;
                            ready.Push(child);
                        }
                    }
                    for (int i = next.Length; i < outputs.Length; i++)
                        outputs[i]?.Dispose();
                }
                return results;
            }
            catch
            {
                if (results is not null)
                    DisposeAll(results);
                throw;
            }
            finally
            {
                GradMode.Override(thread, previousMode);
                foreach (Tensor g in grads)
                    g?.Dispose();
                foreach (Task t in tasks)
                    DisposeAll(t.Buffer);
                // Keep small collections for the next run; let a big graph's go.
                bool keep = tasks.Count <= 4096;
                state.Clear();
                state.InUse = false;
                if (keep)
                    thread.Engine ??= state;
                else if (ReferenceEquals(thread.Engine, state))
                    thread.Engine = null;
            }
        }

        /// <summary>
        /// Finds every node reachable from the roots and counts the edges into each (iteratively: no depth limit).
        /// With <paramref name="direct"/> (a plain backward), a leaf that only ever adds gradients into its existing
        /// Grad and has no hooks of any kind (<see cref="GradAccumulator.IsDirect"/>) gets no task: its producers add into
        /// it as they run, in place or through <see cref="GradAccumulator.Accumulate"/>, so nothing waits for it.
        /// </summary>
        private static void Discover(ReadOnlySpan<Edge> roots, RunState state, bool direct)
        {
            Stack<Node> stack = state.Stack;
            foreach (Edge root in roots)
            {
                if (root.Node is null || state.Find(root.Node) is not null)
                    continue;
                state.Add(root.Node);
                stack.Push(root.Node);
            }
            while (stack.TryPop(out Node? node))
            {
                foreach (Edge e in node.Next)
                {
                    if (e.Node is null)
                        continue;
                    Task? t = state.Find(e.Node);
                    if (t is null)
                    {
                        if (direct && e.Node is GradAccumulator { IsDirect: true })
                            continue; // (a root has its task already, made before this walk)
                        t = state.Add(e.Node);
                        stack.Push(e.Node);
                    }
                    t.Dependencies++;
                }
            }
        }

        /// <summary>
        /// For Autograd.Grad: a node "reaches" when a captured edge lies at or beyond it, and "executes"
        /// when one lies strictly beyond it; nothing else runs, so no leaf's Grad changes.
        /// </summary>
        private static void MarkCaptures(Edge[] captures, RunState state)
        {
            for (int i = 0; i < captures.Length; i++)
            {
                if (captures[i].Node is not { } n || state.Find(n) is not { } t)
                    continue;
                t.Reaches = true;
                t.Captures ??= new List<int>?[n.NumOutputs];
                (t.Captures[captures[i].InputNr] ??= []).Add(i);
            }
            // Post-order over the graph (explicit stack): a node reaches when a child reaches.
            var stack = new Stack<(Task Task, int Next)>();
            foreach (Task root in state.All)
            {
                if (root.Visit != 0)
                    continue;
                stack.Push((root, 0));
                root.Visit = 1;
                while (stack.Count > 0)
                {
                    (Task task, int next) = stack.Pop();
                    Edge[] edges = task.Node.Next;
                    while (next < edges.Length && (edges[next].Node is null || state.Get(edges[next].Node!).Visit != 0))
                        next++;
                    if (next < edges.Length)
                    {
                        Task child = state.Get(edges[next].Node!);
                        stack.Push((task, next + 1));
                        stack.Push((child, 0));
                        child.Visit = 1;
                        continue;
                    }
                    foreach (Edge e in edges)
                    {
                        if (e.Node is not null && state.Get(e.Node).Reaches)
                        {
                            task.Executes = true;
                            task.Reaches = true;
                            break;
                        }
                    }
                    task.Visit = 2;
                }
            }
        }

        private static void Capture(Task task, Tensor?[] results)
        {
            Tensor?[] buffer = task.Buffer;
            // A leaf input: its hooks run on the gradient that is returned, as they would before accumulation.
            if (task.Node is GradAccumulator acc && buffer[0] is { } g0)
            {
                if (acc.Leaf.LeafHooks is { } hooks)
                    g0 = Hooks.Run(hooks, g0);
                buffer[0] = null;
                buffer[0] = Grads.Validate(g0, acc.Shape, acc.DType, acc);
            }
            for (int slot = 0; slot < buffer.Length; slot++)
            {
                if (task.Captures![slot] is not { } indices || buffer[slot] is not { } g)
                    continue;
                foreach (int index in indices)
                {
                    // The first taker gets the buffer's tensor unless the node still runs on it.
                    if (!task.Executes && buffer[slot] is not null)
                    {
                        results[index] = g;
                        buffer[slot] = null;
                    }
                    else
                    {
                        results[index] = g.SharedRef();
                    }
                }
            }
        }

        /// <summary>The accumulators among the node's next functions that may be added into in place; null when none.</summary>
        private static GradAccumulator?[]? FusionTargets(Node node, RunState state)
        {
            Edge[] next = node.Next;
            GradAccumulator?[]? into = null;
            for (int i = 0; i < next.Length; i++)
            {
                if (next[i].Node is GradAccumulator acc && acc.CanAccumulateInPlace && state.Find(acc) is not { Reaches: false })
                {
                    if (into is null)
                    {
                        into = next.Length == 2 ? state.Into2 : new GradAccumulator?[next.Length];
                        Array.Clear(into);
                    }
                    into[i] = acc;
                }
            }
            return into;
        }

        private static Tensor?[] Execute(Node node, Tensor?[] buffer, bool anomaly, bool checkNan, GradAccumulator?[]? into)
        {
            bool any = false;
            foreach (Tensor? g in buffer)
                any |= g is not null;
            if (!any)
            {
                if (into is not null)
                    Array.Clear(into);
                return [];
            }
            Tensor?[] outputs;
            try
            {
                outputs = into is null ? node.Apply(buffer) : node.ApplyInto(buffer, into);
            }
            catch (Exception e) when (anomaly && e is not AutogradAnomalyException)
            {
                throw new AutogradAnomalyException(
                    $"Function '{node.Name}' threw an exception during backward: {e.Message}{TraceOf(node)}", e);
            }
            Grads.TakeOver(buffer, outputs);
            Array.Clear(buffer);
            if (checkNan)
            {
                for (int i = 0; i < outputs.Length; i++)
                {
                    if (outputs[i] is { } o && HasNan(o))
                    {
                        DisposeAll(outputs);
                        throw new AutogradAnomalyException($"Function '{node.Name}' returned nan values in its {i}th output.{TraceOf(node)}", null);
                    }
                }
            }
            return outputs;
        }

        private static string TraceOf(Node node) => node.CreationTrace is { } trace
            ? $"{Environment.NewLine}Traceback of forward call that caused the error:{Environment.NewLine}{trace}"
            : $"{Environment.NewLine}(No forward trace: the node was created outside Autograd.DetectAnomaly().)";

        private static bool HasNan(Tensor t)
        {
            if (!t.IsFloatingPoint)
                return false;
            using GradModeScope noGrad = Torch.NoGrad();
            using Tensor ne = t.Ne(t);
            using Tensor count = ne.Sum();
            return count.Item<long>() != 0;
        }

        private static void DisposeAll(Tensor?[] tensors)
        {
            for (int i = 0; i < tensors.Length; i++)
            {
                tensors[i]?.Dispose();
                tensors[i] = null;
            }
        }
    }
}

/// <summary>An error found by <see cref="Autograd.DetectAnomaly"/>: a backward formula produced NaN or threw; the message carries where the node was created.</summary>
public sealed class AutogradAnomalyException : AutogradException
{
    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public AutogradAnomalyException(string message, Exception? innerException) : base(message, innerException) { }
}
