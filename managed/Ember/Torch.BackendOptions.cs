using System.Text;
using Ember.Interop;

namespace Ember;

public static partial class Torch
{
    public static partial class Backends
    {
        /// <summary>CUDA settings (<c>torch.backends.cuda</c>). They hold whether or not a GPU is present.</summary>
        public static class Cuda
        {
            /// <summary>Matrix-product settings (<c>torch.backends.cuda.matmul</c>).</summary>
            public static class Matmul
            {
                /// <summary>
                /// Lets float32 matrix products use TensorFloat-32 tensor cores (10-bit mantissa inputs, float32
                /// accumulation): several times faster, with about 1e-3 relative error. Off by default, as in PyTorch.
                /// </summary>
                public static bool AllowTF32
                {
                    get => Option("cuda.matmul.allow_tf32");
                    set => SetOption("cuda.matmul.allow_tf32", value);
                }

                /// <summary>Lets float16 products reduce partial sums in float16 (on by default, as in PyTorch).</summary>
                public static bool AllowFP16ReducedPrecisionReduction
                {
                    get => Option("cuda.matmul.allow_fp16_reduced_precision_reduction");
                    set => SetOption("cuda.matmul.allow_fp16_reduced_precision_reduction", value);
                }

                /// <summary>Lets bfloat16 products reduce partial sums in bfloat16 (on by default, as in PyTorch).</summary>
                public static bool AllowBF16ReducedPrecisionReduction
                {
                    get => Option("cuda.matmul.allow_bf16_reduced_precision_reduction");
                    set => SetOption("cuda.matmul.allow_bf16_reduced_precision_reduction", value);
                }
            }

            /// <summary>
            /// Queues elementwise ops on at most 1024 elements (fill, copy, arithmetic, neg, exp, log) per stream and runs each
            /// queue in one kernel launch, before anything else uses the stream (on by default; Ember's own, PyTorch has no
            /// such setting). A kernel launch costs the host several microseconds, more than such an op costs the GPU.
            /// Results are the same bit for bit either way; off, every op launches its own kernel.
            /// </summary>
            public static bool BatchSmallOps
            {
                get => Option("cuda.batch_small_ops");
                set => SetOption("cuda.batch_small_ops", value);
            }
        }

        /// <summary>cuDNN settings (<c>torch.backends.cudnn</c>). They hold whether or not cuDNN is present.</summary>
        public static class Cudnn
        {
            /// <summary>Uses cuDNN for convolutions where it is available (on by default); off, the plugin's own kernels run.</summary>
            public static bool Enabled
            {
                get => Option("cudnn.enabled");
                set => SetOption("cudnn.enabled", value);
            }

            /// <summary>Times cuDNN's algorithms on the first call of each convolution shape and keeps the fastest (off by default).</summary>
            public static bool Benchmark
            {
                get => Option("cudnn.benchmark");
                set => SetOption("cudnn.benchmark", value);
            }

            /// <summary>Restricts convolutions to deterministic algorithms (off by default).</summary>
            public static bool Deterministic
            {
                get => Option("cudnn.deterministic");
                set => SetOption("cudnn.deterministic", value);
            }

            /// <summary>Lets float32 convolutions use TensorFloat-32 tensor cores (on by default, as in PyTorch).</summary>
            public static bool AllowTF32
            {
                get => Option("cudnn.allow_tf32");
                set => SetOption("cudnn.allow_tf32", value);
            }
        }

        private static unsafe bool Option(string name)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
            long value;
            fixed (byte* p = utf8)
                Errors.Check(NativeMethods.ember_get_backend_option(p, &value));
            return value != 0;
        }

        private static unsafe void SetOption(string name, bool value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
            fixed (byte* p = utf8)
                Errors.Check(NativeMethods.ember_set_backend_option(p, value ? 1 : 0));
        }
    }
}
