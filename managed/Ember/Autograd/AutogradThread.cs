namespace Ember;

/// <summary>
/// The autograd state one thread keeps: the engine's grad-mode override, the engine's reusable run state and
/// the cached seed. One [ThreadStatic] holds it all because on Linux every thread-static access goes through
/// __tls_get_addr (about 14 ns a read on the dev machine), so a backward reads it once and passes it on.
/// </summary>
internal sealed class AutogradThread
{
    [ThreadStatic]
    private static AutogradThread? t_current;

    /// <summary>The calling thread's state, or null when the thread never needed one.</summary>
    public static AutogradThread? CurrentOrNull => t_current;

    /// <summary>The calling thread's state, made on first use.</summary>
    public static AutogradThread Current => t_current ??= new AutogradThread();

    /// <summary>Set by the engine while it runs a backward on this thread (see <see cref="GradMode.Override"/>).</summary>
    internal GradMode.State? Override;

    /// <summary>The engine's collections, kept between runs (null while none is kept).</summary>
    internal Autograd.Engine.RunState? Engine;

    /// <summary>The last small seed made on this thread (see <see cref="Seeds"/>).</summary>
    internal Seeds.Entry? Seed;
}
