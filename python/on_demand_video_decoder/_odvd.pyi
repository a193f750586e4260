# The type stub of the extension module (tools/make_stubs.py writes it: pybind11-stubgen, then
# the documented argument types). Do not edit by hand.
"""
on_demand_video_decoder native core
"""
from __future__ import annotations
import collections.abc
import os
import numpy
import numpy.typing
import typing
__all__: list[str] = ['CAIMemoryView', 'ColorRange', 'DecodedBatch', 'DecodedFrameExt', 'FastStreamInfo', 'GetBundleInfo', 'GetFastInitInfo', 'GetIndexInfo', 'GetVideoStreams', 'PixelFormat', 'PyNvGopDecoder', 'PyNvSampleReader', 'RGBFrame', 'SavePacketsToFile', 'build_info', 'codec_table', 'content_digest', 'cuda_device_count', 'cuda_driver_version', 'describe_gpus']
class PixelFormat:
    """
    Layout of a decoded YUV frame
    
    Members:
    
      NV12
    
      P016
    
      YUV444
    
      YUV444_16Bit
    
      NV16
    
      P216
    """
    NV12: typing.ClassVar[PixelFormat]
    NV16: typing.ClassVar[PixelFormat]
    P016: typing.ClassVar[PixelFormat]
    P216: typing.ClassVar[PixelFormat]
    YUV444: typing.ClassVar[PixelFormat]
    YUV444_16Bit: typing.ClassVar[PixelFormat]
    __members__: typing.ClassVar[dict[str, PixelFormat]]
    @typing.overload
    def __eq__(self, other: PixelFormat) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: PixelFormat) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class ColorRange:
    """
    Signalled colour range of a stream
    
    Members:
    
      UNSPECIFIED
    
      MPEG
    
      JPEG
    """
    JPEG: typing.ClassVar[ColorRange]
    MPEG: typing.ClassVar[ColorRange]
    UNSPECIFIED: typing.ClassVar[ColorRange]
    __members__: typing.ClassVar[dict[str, ColorRange]]
    @typing.overload
    def __eq__(self, other: ColorRange) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: ColorRange) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class CAIMemoryView:
    """
    One plane of a decoded frame, exportable without a copy
    """
    def __dlpack__(self, **kwargs: typing.Any) -> typing.Any:
        ...
    def __dlpack_device__(self) -> tuple[typing.Any, ...]:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def __array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def __cuda_array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def data(self) -> int:
        ...
    @property
    def dtype(self) -> str:
        ...
    @property
    def shape(self) -> tuple[typing.Any, ...]:
        ...
    @property
    def strides(self) -> tuple[typing.Any, ...]:
        ...
class DecodedFrameExt:
    """
    A decoded YUV frame (NV12, P016 or 4:4:4); owns its memory
    """
    def GetPtrToPlane(self, planeIdx: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def __dlpack__(self, **kwargs: typing.Any) -> typing.Any:
        ...
    def __dlpack_device__(self) -> tuple[typing.Any, ...]:
        ...
    def __repr__(self) -> str:
        ...
    def cuda(self) -> list[CAIMemoryView]:
        """
        One view per plane (in host memory on the CPU back end)
        """
    def framesize(self) -> int:
        ...
    def nvcv_image(self) -> list[CAIMemoryView]:
        """
        Same as cuda()
        """
    @property
    def __array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def __cuda_array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def backend(self) -> str:
        """
        The engine that decoded the frame: 'nvdec' or 'cpu' (a GPU decoder's fallback='cpu' decodes streams NVDEC refuses on the CPU, and uploads their frames)
        """
    @property
    def bit_depth(self) -> int:
        ...
    @property
    def color_range(self) -> ColorRange:
        ...
    @property
    def dtype(self) -> str:
        ...
    @property
    def format(self) -> PixelFormat:
        ...
    @property
    def height(self) -> int:
        ...
    @property
    def shape(self) -> tuple[typing.Any, ...]:
        ...
    @property
    def strides(self) -> tuple[typing.Any, ...]:
        ...
    @property
    def timestamp(self) -> int:
        ...
    @property
    def width(self) -> int:
        ...
class RGBFrame:
    """
    A decoded frame as packed (H, W, 3) uint8 RGB or BGR; owns its memory
    """
    def __dlpack__(self, **kwargs: typing.Any) -> typing.Any:
        ...
    def __dlpack_device__(self) -> tuple[typing.Any, ...]:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def __array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def __cuda_array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def backend(self) -> str:
        """
        The engine that decoded the frame this image was converted from: 'nvdec' or 'cpu'
        """
    @property
    def data(self) -> int:
        ...
    @property
    def dataptr(self) -> int:
        ...
    @property
    def isBGR(self) -> bool:
        ...
    @property
    def shape(self) -> tuple[int, int, int]:
        ...
    @property
    def stride(self) -> tuple[int, int, int]:
        ...
    @property
    def timestamp(self) -> int:
        ...
class DecodedBatch:
    """
    A batch of decoded frames as one tensor (DecodeToTensor & co.); owns its memory. torch.from_dlpack(batch) or numpy.asarray(batch) take it without a copy
    """
    def __dlpack__(self, **kwargs: typing.Any) -> typing.Any:
        ...
    def __dlpack_device__(self) -> tuple[typing.Any, ...]:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def __array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def __cuda_array_interface__(self) -> dict[str, typing.Any]:
        ...
    @property
    def data(self) -> int:
        ...
    @property
    def device(self) -> str:
        """
        'cpu' or 'cuda:N'
        """
    @property
    def dtype(self) -> str:
        """
        'uint8', 'float16', 'bfloat16' or 'float32'
        """
    @property
    def layout(self) -> str:
        ...
    @property
    def nbytes(self) -> int:
        ...
    @property
    def shape(self) -> tuple[typing.Any, ...]:
        """
        (N, 3, H, W) for NCHW, (N, H, W, 3) for NHWC; DecodeBatchToTensor: (V, F, ...)
        """
    @property
    def strides(self) -> tuple[typing.Any, ...]:
        """
        In bytes (C-contiguous)
        """
class FastStreamInfo:
    """
    Stream parameters of a file, as GetFastInitInfo reports them
    """
    def __init__(self) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def avg_frame_rate_den(self) -> int:
        ...
    @avg_frame_rate_den.setter
    def avg_frame_rate_den(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def avg_frame_rate_num(self) -> int:
        ...
    @avg_frame_rate_num.setter
    def avg_frame_rate_num(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def bit_depth(self) -> int:
        ...
    @bit_depth.setter
    def bit_depth(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def codec_id(self) -> int:
        """
        FFmpeg AVCodecID
        """
    @codec_id.setter
    def codec_id(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def codec_type(self) -> int:
        """
        FFmpeg AVMediaType
        """
    @codec_type.setter
    def codec_type(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def duration(self) -> int:
        """
        in time base units
        """
    @duration.setter
    def duration(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def format(self) -> int:
        """
        FFmpeg AVPixelFormat (-1 when unknown)
        """
    @format.setter
    def format(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def height(self) -> int:
        ...
    @height.setter
    def height(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def r_frame_rate_den(self) -> int:
        ...
    @r_frame_rate_den.setter
    def r_frame_rate_den(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def r_frame_rate_num(self) -> int:
        ...
    @r_frame_rate_num.setter
    def r_frame_rate_num(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def start_time(self) -> int:
        """
        in time base units
        """
    @start_time.setter
    def start_time(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def stream_index(self) -> int:
        ...
    @stream_index.setter
    def stream_index(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def time_base_den(self) -> int:
        ...
    @time_base_den.setter
    def time_base_den(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def time_base_num(self) -> int:
        ...
    @time_base_num.setter
    def time_base_num(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def width(self) -> int:
        ...
    @width.setter
    def width(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class PyNvGopDecoder:
    """
    Random access to frames of many video files
    """
    def Decode(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = ...) -> list[DecodedFrameExt | None]:
        """
        Decode one frame per entry to YUV (DecodedFrameExt)
        """
    def DecodeFromGOP(self, numpy_data: numpy.typing.NDArray[numpy.uint8], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int]) -> list[DecodedFrameExt | None]:
        """
        Decode entry i's frame from record i of the bundle, to YUV
        """
    def DecodeFromGOPListRGB(self, numpy_datas: collections.abc.Sequence[numpy.typing.NDArray[numpy.uint8]], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Decode entry i's frame from record i of the bundles' records taken in order, to RGB/BGR
        """
    def DecodeFromGOPRGB(self, numpy_data: numpy.typing.NDArray[numpy.uint8], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Decode entry i's frame from record i of the bundle, to RGB/BGR
        """
    def DecodeFromGOPToTensor(self, bundle: numpy.typing.NDArray[numpy.uint8], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], *, size: tuple[int, int] | None = None, crop: tuple[int, int, int, int] | None = None, layout: typing.Literal["NCHW", "NHWC"] = 'NCHW', dtype: str | typing.Any = 'uint8', mean: float | collections.abc.Sequence[float] | None = None, std: float | collections.abc.Sequence[float] | None = None, as_bgr: bool = False, interpolation: typing.Literal["bilinear", "nearest", "area"] = 'bilinear', antialias: bool = True, out: typing.Any = None, stream: typing.Any = None) -> DecodedBatch | typing.Any:
        """
        Decode entry i's frame from record i of the GOP bundle into one batched tensor (DecodeToTensor's, without opening the files).
        
        Frames are decoded, cropped, resized, normalised and cast in one pass from the decoded
        YUV (no full-size RGB in between), on the decoder's device: a GPU decoder writes CUDA
        memory, iGpu=-1 host memory. Returns a DecodedBatch (torch.from_dlpack(batch) and
        numpy.asarray(batch) take it without a copy), or `out`, written.
        
        Keyword arguments:
          size=(height, width)   output size; None: the crop's (or frames') size, which must then
                                 be the same for every entry (with out=, out's size)
          crop=(x, y, width, height)  source pixels taken before resizing; None: the whole frame
          layout='NCHW'|'NHWC'   channel-first (N, 3, H, W) or channel-last (N, H, W, 3)
          dtype='uint8'|'float16'|'bfloat16'|'float32' (or the torch dtype). uint8: the RGB bytes
                                 DecodeN12ToRGB gives, resized and rounded; floats: 0..1, computed
                                 from the samples at their own bit depth (10-bit stays 10-bit)
          mean, std              per channel (a number or 3, output channel order), float dtypes
                                 only: (value - mean) / std. On the 0..1 scale, or on the 0..255
                                 scale when any value exceeds 1 (e.g. ImageNet's 123.675)
          as_bgr=False           channels B, G, R instead of R, G, B
          interpolation='bilinear'|'nearest'|'area'  bilinear as torch interpolate(align_corners=
                                 False); nearest as 'nearest-exact'; area averages the footprint
          antialias=True         bilinear downscaling widens the filter as interpolate(antialias=True)
          out=None               a C-contiguous tensor of the call's shape, dtype and device
                                 (DLPack, __cuda_array_interface__ or __array_interface__), e.g. a
                                 slice of a larger batch; written and returned
          stream=None            GPU: a CUDA stream (int handle, torch.cuda.Stream); the work is
                                 ordered on it and the call returns without waiting for it. None:
                                 the batch is complete when the call returns
        An entry without a frame (on_error='skip') gets zeros; GetLastReport() names it.
        """
    def DecodeFromPacketListInitialize(self, codec_ids: collections.abc.Sequence[int]) -> int:
        """
        Set the codec (cudaVideoCodec number) of each entry of DecodeFromPacketListRGB
        """
    def DecodeFromPacketListRGB(self, numpy_datas: collections.abc.Sequence[numpy.typing.NDArray[numpy.uint8]], packet_idxs: collections.abc.Sequence[collections.abc.Sequence[int]], widths: collections.abc.Sequence[int], heights: collections.abc.Sequence[int], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Decode entry i's frame from its packets (decode order; packet_idxs: the frame each presents)
        """
    def DecodeN12ToRGB(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False, fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = ...) -> list[RGBFrame | None]:
        """
        Decode one frame per entry to packed RGB/BGR (RGBFrame)
        """
    def DecodeToTensor(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], *, size: tuple[int, int] | None = None, crop: tuple[int, int, int, int] | None = None, layout: typing.Literal["NCHW", "NHWC"] = 'NCHW', dtype: str | typing.Any = 'uint8', mean: float | collections.abc.Sequence[float] | None = None, std: float | collections.abc.Sequence[float] | None = None, as_bgr: bool = False, interpolation: typing.Literal["bilinear", "nearest", "area"] = 'bilinear', antialias: bool = True, out: typing.Any = None, stream: typing.Any = None) -> DecodedBatch | typing.Any:
        """
        Decode one frame per entry into one batched tensor (N, 3, H, W), or (N, H, W, 3) with layout='NHWC'.
        
        Frames are decoded, cropped, resized, normalised and cast in one pass from the decoded
        YUV (no full-size RGB in between), on the decoder's device: a GPU decoder writes CUDA
        memory, iGpu=-1 host memory. Returns a DecodedBatch (torch.from_dlpack(batch) and
        numpy.asarray(batch) take it without a copy), or `out`, written.
        
        Keyword arguments:
          size=(height, width)   output size; None: the crop's (or frames') size, which must then
                                 be the same for every entry (with out=, out's size)
          crop=(x, y, width, height)  source pixels taken before resizing; None: the whole frame
          layout='NCHW'|'NHWC'   channel-first (N, 3, H, W) or channel-last (N, H, W, 3)
          dtype='uint8'|'float16'|'bfloat16'|'float32' (or the torch dtype). uint8: the RGB bytes
                                 DecodeN12ToRGB gives, resized and rounded; floats: 0..1, computed
                                 from the samples at their own bit depth (10-bit stays 10-bit)
          mean, std              per channel (a number or 3, output channel order), float dtypes
                                 only: (value - mean) / std. On the 0..1 scale, or on the 0..255
                                 scale when any value exceeds 1 (e.g. ImageNet's 123.675)
          as_bgr=False           channels B, G, R instead of R, G, B
          interpolation='bilinear'|'nearest'|'area'  bilinear as torch interpolate(align_corners=
                                 False); nearest as 'nearest-exact'; area averages the footprint
          antialias=True         bilinear downscaling widens the filter as interpolate(antialias=True)
          out=None               a C-contiguous tensor of the call's shape, dtype and device
                                 (DLPack, __cuda_array_interface__ or __array_interface__), e.g. a
                                 slice of a larger batch; written and returned
          stream=None            GPU: a CUDA stream (int handle, torch.cuda.Stream); the work is
                                 ordered on it and the call returns without waiting for it. None:
                                 the batch is complete when the call returns
        An entry without a frame (on_error='skip') gets zeros; GetLastReport() names it.
        """
    def GetGOP(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = ...) -> tuple[numpy.typing.NDArray[numpy.uint8], list[int], list[int]]:
        """
        The GOP holding each entry's frame, as one bundle: (bundle, first_frame_ids, gop_lens)
        """
    def GetGOPList(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], fastStreamInfos: collections.abc.Sequence[FastStreamInfo] = ...) -> list[tuple[numpy.typing.NDArray[numpy.uint8], list[int], list[int]]]:
        """
        One (bundle, [first_frame_id], [gop_len]) tuple per entry
        """
    def GetLastReport(self) -> list[dict[str, typing.Any]]:
        """
        One dict per entry of the last decoding call that failed or got another frame (on_error): entry, file, requested, returned (None: no frame), reason; empty after a clean call
        """
    def LoadGopList(self, file_paths: collections.abc.Sequence[str | os.PathLike[str]]) -> list[numpy.typing.NDArray[numpy.uint8]]:
        """
        Same as LoadGopsToList
        """
    def LoadGops(self, file_paths: collections.abc.Sequence[str | os.PathLike[str]]) -> numpy.typing.NDArray[numpy.uint8]:
        """
        Read bundle files into one bundle (their records in order)
        """
    def LoadGopsToList(self, file_paths: collections.abc.Sequence[str | os.PathLike[str]]) -> list[numpy.typing.NDArray[numpy.uint8]]:
        """
        Read bundle files, one array per file
        """
    def MergePacketDataToOne(self, packet_data_arrays: collections.abc.Sequence[numpy.typing.NDArray[numpy.uint8]]) -> numpy.typing.NDArray[numpy.uint8]:
        """
        One bundle holding the records of every bundle, in order
        """
    def ParseSerializedPacketBundle(self, numpy_data: numpy.typing.NDArray[numpy.uint8]) -> tuple[typing.Any, ...]:
        """
        (color_ranges, codec_ids, widths, heights, frame_sizes, gop_lens, first_frame_ids, packet payloads, payload sizes, packet sizes, frame ids per packet), one item per record
        """
    def _DecodeBundleFiles(self, bundle_files: collections.abc.Sequence[str | os.PathLike[str]], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int]) -> list[DecodedFrameExt | None]:
        """
        Internal (GopStore): decode entry i's frame from the records of bundle file i, to YUV
        """
    def _DecodeBundleFilesRGB(self, bundle_files: collections.abc.Sequence[str | os.PathLike[str]], filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Internal (GopStore): decode entry i's frame from the records of bundle file i, to RGB/BGR
        """
    def __init__(self, maxfiles: int, iGpu: int = 0, suppressNoColorRangeWarning: bool = False, *, worker_threads: int = 0, decoder_threads: int = 0, parallel_calls: int = 1, session_cache_mib: typing.Any = 2048, on_error: typing.Literal["raise", "skip", "nearest"] = 'raise', video_stream: int = -1, content_digests: collections.abc.Mapping[str, str] | None = None, fallback: typing.Literal["cpu", "raise"] = 'cpu') -> None:
        ...
    def __repr__(self) -> str:
        ...
    def _stats(self) -> dict[str, typing.Any]:
        """
        Work counters since construction: packets_sent, gop_starts, continuations; device memory now: device_live_bytes, device_cached_bytes; sessions kept warm now: warm_sessions, warm_session_bytes; decoders made for calls from GOP data: record_decoders_made; NVDEC sessions created: nvdec_sessions_made (diagnostics)
        """
    def release_decoder(self) -> None:
        """
        Drop warm decoder sessions
        """
    def release_device_memory(self) -> None:
        """
        Free pooled device memory
        """
class PyNvSampleReader:
    """
    Stream access: reading files forward, frame after frame
    """
    def Decode(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int]) -> list[DecodedFrameExt | None]:
        """
        Entry i reads frame_ids[i] of filepaths[i] on slot i (YUV)
        """
    def DecodeBatch(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[collections.abc.Sequence[int]]) -> list[list[DecodedFrameExt | None]]:
        """
        File v (slot v) reads the frames frame_ids[v] in order; one list of YUV frames per file
        """
    def DecodeBatchRGB(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[collections.abc.Sequence[int]], as_bgr: bool = False) -> list[list[RGBFrame | None]]:
        """
        File v (slot v) reads the frames frame_ids[v] in order; one list of RGB/BGR frames per file
        """
    def DecodeBatchToTensor(self, files: collections.abc.Sequence[str | os.PathLike[str]], frame_id_lists: collections.abc.Sequence[collections.abc.Sequence[int]], *, size: tuple[int, int] | None = None, crop: tuple[int, int, int, int] | None = None, layout: typing.Literal["NCHW", "NHWC"] = 'NCHW', dtype: str | typing.Any = 'uint8', mean: float | collections.abc.Sequence[float] | None = None, std: float | collections.abc.Sequence[float] | None = None, as_bgr: bool = False, interpolation: typing.Literal["bilinear", "nearest", "area"] = 'bilinear', antialias: bool = True, out: typing.Any = None, stream: typing.Any = None) -> DecodedBatch | typing.Any:
        """
        File v (slot v) reads the frames frame_id_lists[v] in order (every list of one length F), into one batched tensor (V, F, 3, H, W), or (V, F, H, W, 3) with layout='NHWC'.
        
        Frames are decoded, cropped, resized, normalised and cast in one pass from the decoded
        YUV (no full-size RGB in between), on the decoder's device: a GPU decoder writes CUDA
        memory, iGpu=-1 host memory. Returns a DecodedBatch (torch.from_dlpack(batch) and
        numpy.asarray(batch) take it without a copy), or `out`, written.
        
        Keyword arguments:
          size=(height, width)   output size; None: the crop's (or frames') size, which must then
                                 be the same for every entry (with out=, out's size)
          crop=(x, y, width, height)  source pixels taken before resizing; None: the whole frame
          layout='NCHW'|'NHWC'   channel-first (N, 3, H, W) or channel-last (N, H, W, 3)
          dtype='uint8'|'float16'|'bfloat16'|'float32' (or the torch dtype). uint8: the RGB bytes
                                 DecodeN12ToRGB gives, resized and rounded; floats: 0..1, computed
                                 from the samples at their own bit depth (10-bit stays 10-bit)
          mean, std              per channel (a number or 3, output channel order), float dtypes
                                 only: (value - mean) / std. On the 0..1 scale, or on the 0..255
                                 scale when any value exceeds 1 (e.g. ImageNet's 123.675)
          as_bgr=False           channels B, G, R instead of R, G, B
          interpolation='bilinear'|'nearest'|'area'  bilinear as torch interpolate(align_corners=
                                 False); nearest as 'nearest-exact'; area averages the footprint
          antialias=True         bilinear downscaling widens the filter as interpolate(antialias=True)
          out=None               a C-contiguous tensor of the call's shape, dtype and device
                                 (DLPack, __cuda_array_interface__ or __array_interface__), e.g. a
                                 slice of a larger batch; written and returned
          stream=None            GPU: a CUDA stream (int handle, torch.cuda.Stream); the work is
                                 ordered on it and the call returns without waiting for it. None:
                                 the batch is complete when the call returns
        An entry without a frame (on_error='skip') gets zeros; GetLastReport() names it.
        """
    def DecodeN12ToRGB(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Entry i reads frame_ids[i] of filepaths[i] on slot i (RGB/BGR)
        """
    def DecodeN12ToRGBAsync(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> None:
        """
        Start DecodeN12ToRGB in the background (one request in flight; an unclaimed result is discarded)
        """
    def DecodeN12ToRGBAsyncGetBuffer(self, filepaths: collections.abc.Sequence[str | os.PathLike[str]], frame_ids: collections.abc.Sequence[int], as_bgr: bool = False) -> list[RGBFrame | None]:
        """
        Wait for the pending request (same arguments) and return its frames, or raise its error
        """
    def GetLastReport(self) -> list[dict[str, typing.Any]]:
        """
        One dict per frame of the last call that failed or got another frame (on_error): entry (the file's position), file, requested, returned (None: no frame), reason; empty after a clean call
        """
    def __init__(self, num_of_set: int, num_of_file: int, iGpu: int = 0, suppressNoColorRangeWarning: bool = False, *, worker_threads: int = 0, decoder_threads: int = 0, decode_ahead_mib: int = -1, on_error: typing.Literal["raise", "skip", "nearest"] = 'raise', video_stream: int = -1, content_digests: collections.abc.Mapping[str, str] | None = None, fallback: typing.Literal["cpu", "raise"] = 'cpu') -> None:
        ...
    def __repr__(self) -> str:
        ...
    def _stats(self) -> dict[str, typing.Any]:
        """
        Work counters since construction (diagnostics)
        """
    def clearAllReaders(self) -> None:
        """
        Close every file of every slot
        """
    def release_decoder(self) -> None:
        """
        Close every file and free idle decoders
        """
    def release_device_memory(self) -> None:
        """
        Free pooled device memory no frame uses
        """
def GetBundleInfo(numpy_data: numpy.typing.NDArray[numpy.uint8]) -> list[typing.Any]:
    """
    One dict per record of a bundle: source, video_stream (K as in 0:v:K; -1 unknown), codec, codec_id, width, height, bit_depth, chroma_format, first_frame_id, gop_len, packets, payload_bytes
    """
def GetFastInitInfo(filepaths: collections.abc.Sequence[str | os.PathLike[str]], *, video_stream: int = -1) -> list[FastStreamInfo]:
    """
    Stream parameters of each file (from the cached index scan); video_stream as on the decoders
    """
def GetIndexInfo(filepath: str | os.PathLike[str], *, video_stream: int = -1) -> dict[str, typing.Any]:
    """
    The frame index of a file: frame count (SPEC §1), GOP layout, container; a dict
    """
def GetVideoStreams(filepath: str | os.PathLike[str]) -> list[FastStreamInfo]:
    """
    Every video stream of a file, in order (the K-th is video_stream=K): a FastStreamInfo each
    """
def SavePacketsToFile(numpy_data: numpy.typing.NDArray[numpy.uint8], dst_filepath: typing.Any) -> None:
    """
    Write a bundle to a file atomically (parent folders created; never half-written)
    """
def _cuda_context_pid() -> int:
    """
    Process id in which this library created a CUDA context (0: never); for tests
    """
def _decode_throughput(filepaths: collections.abc.Sequence[str], iGpu: typing.SupportsInt | typing.SupportsIndex, streams: typing.SupportsInt | typing.SupportsIndex, seconds: typing.SupportsFloat | typing.SupportsIndex = 3.0, raw: bool = False, per_gop: bool = False, sessions_per_thread: typing.SupportsInt | typing.SupportsIndex = 1, in_flight: typing.SupportsInt | typing.SupportsIndex = 0) -> dict[str, typing.Any]:
    """
    The decoder's limit: pictures/s with `streams` sessions decoding every packet, nothing output; raw=True: bare cuvid, NVDEC only; per_gop=True: each GOP a stream of its own; raw threads (`streams`) drive sessions_per_thread sessions each, waiting for each picture in_flight behind (0: never) (benchmarks; in source builds only)
    """
def _iostream_selftest(arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsFloat | typing.SupportsIndex, arg2: str) -> str:
    ...
def _profile(reset: bool = False) -> dict[str, typing.Any]:
    """
    Time per named scope: {name: (wall seconds, count, CPU seconds of the threads that ran it)}; collected only when ODVD_PROFILE is set
    """
def build_info() -> dict[str, typing.Any]:
    """
    What this build is: the FFmpeg it decodes with (version, configuration, licence, library versions), whether it has the NVDEC back end, and the vector units the CPU colour converter uses here
    """
def codec_table() -> list[typing.Any]:
    """
    The codecs the library names: codec (cudaVideoCodec number, as in GOP bundles), name, display name, av_codec_id (the AVCodecID of the FFmpeg this build uses: it differs between FFmpeg versions) and nvdec (whether the NVDEC back end takes it)
    """
def content_digest(filepath: str | os.PathLike[str]) -> str:
    """
    The content digest of a whole file ('<size>-<crc32 hex>'), for content_digests= on the decoders
    """
def cuda_device_count() -> int:
    """
    Number of CUDA devices the NVDEC back end can use (0 without a GPU, a driver, or CUDA support in this build)
    """
def cuda_driver_version() -> int:
    """
    The CUDA version the installed NVIDIA driver supports (12080 = 12.8), 0 without one
    """
def describe_gpus() -> list[typing.Any]:
    """
    Each CUDA device with NVDEC's capabilities per codec, chroma format and bit depth (retains the device's primary context); [] without a GPU
    """
__version__: str = '0.1.0'
