using System.Collections;
using System.Runtime.CompilerServices;

namespace Ember.Data;

/// <summary>Finds the tensors inside a batch: a tensor, a tuple, an array, a list or a dictionary of them, nested.</summary>
internal static class BatchTensors
{
    /// <summary>Calls <paramref name="action"/> on every tensor in <paramref name="batch"/>.</summary>
    public static void ForEach(object? batch, Action<Tensor> action)
    {
        switch (batch)
        {
            case null:
                return;
            case Tensor t:
                action(t);
                return;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++) ForEach(tuple[i], action);
                return;
            case IDictionary dictionary:
                foreach (object? value in dictionary.Values) ForEach(value, action);
                return;
            case string:
                return;
            case IEnumerable items:
                foreach (object? item in items) ForEach(item, action);
                return;
        }
    }

    /// <summary>Disposes the tensors of a batch, or the batch itself when it is some other disposable object.</summary>
    public static void Dispose(object? batch)
    {
        if (batch is IDisposable disposable and not Tensor)
        {
            disposable.Dispose();
            return;
        }
        ForEach(batch, static t => t.Dispose());
    }
}
