using System.Runtime.CompilerServices;

// Every native signature is blittable, so the runtime never marshals anything on the op path.
[assembly: DisableRuntimeMarshalling]
