using Ember.Serialization;

namespace Ember;

// Checkpoints: torch.save / torch.load, in the safetensors format.
public static partial class Torch
{
    /// <summary>
    /// Saves tensors by name to a safetensors file (<c>torch.save(state_dict, path)</c>, in the format
    /// of <c>safetensors.torch.save_file</c>, so that Python can read it). See <see cref="SafeTensors"/>.
    /// </summary>
    /// <param name="tensors">The tensors by name, e.g. a state dict.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="metadata">Free-form text stored with the tensors, or null.</param>
    /// <exception cref="ArgumentException">A name is repeated or reserved, or a tensor is null.</exception>
    public static void Save(IEnumerable<KeyValuePair<string, Ember.Tensor>> tensors, string path, IEnumerable<KeyValuePair<string, string>>? metadata = null) =>
        SafeTensors.Save(tensors, path, metadata);

    /// <summary>
    /// Loads every tensor of a safetensors file into new CPU tensors (<c>torch.load(path)</c>, or
    /// <c>safetensors.torch.load_file</c>). See <see cref="SafeTensors"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the defect.</exception>
    public static Dictionary<string, Ember.Tensor> Load(string path) => SafeTensors.Load(path);
}
