using System.Runtime.CompilerServices;

// Every libclang call is blittable; the generator follows the same rule as the bindings it writes.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("Ember.Bindings.Tests")]
