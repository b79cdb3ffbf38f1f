/**
 * The messages scf-go-lib's net/rpc service exchanges, as gob schemas. Field names and order follow
 * github.com/tencentyun/scf-go-lib `cloudfunction/messages/messages.go`; the service is registered with
 * `rpc.Register(new(Function))`, so its methods are `Function.Ping` and `Function.Invoke`.
 *
 * Struct names go into our type definitions only for the peer's error messages: gob matches fields by name.
 * Go itself sends unqualified names (`InvokeRequest`, `InvokeRequest_Timestamp`, `InvokeResponse_Error`;
 * `Request`/`Response` for net/rpc's headers), names unnamed types by their Go spelling
 * (`[]*messages.InvokeResponse_Error_StackFrame`), and sends an empty name for a struct first reached
 * through a pointer in a slice (the stack frame). None of that is relied on here.
 */
import { gob, type GobInput, type GobValue } from './gob.ts';

/** net/rpc's `rpc.Request`, sent before each call's argument. */
export const rpcRequestHeader = gob.struct('Request', { ServiceMethod: gob.string, Seq: gob.uint });

/** net/rpc's `rpc.Response`, sent before each reply; with `Error` set the body is an empty struct. */
export const rpcResponseHeader = gob.struct('Response', {
  ServiceMethod: gob.string,
  Seq: gob.uint,
  Error: gob.string,
});

export const pingRequestType = gob.struct('PingRequest', {});
export const pingResponseType = gob.struct('PingResponse', {});

export const invokeRequestType = gob.struct('InvokeRequest', {
  /** The event as JSON bytes. */
  Payload: gob.bytes,
  RequestId: gob.string,
  TraceId: gob.string,
  /** Absolute deadline: the handler's context is cancelled then. The zero value means already expired. */
  Deadline: gob.struct('InvokeRequest_Timestamp', { Seconds: gob.int, Nanos: gob.int }),
  InvokedFunctionUnique: gob.string,
  /** JSON, or empty. */
  ClientContext: gob.bytes,
  Namespace: gob.string,
  FunctionName: gob.string,
  FunctionVersion: gob.string,
  MemoryLimitInMb: gob.int,
  TimeLimitInMs: gob.int,
  /** A JSON object of strings; the library calls os.Setenv for each key before the handler. */
  Environment: gob.string,
  TencentcloudRegion: gob.string,
  TencentcloudAppID: gob.string,
  TencentcloudUin: gob.string,
  FunctionTrace: gob.string,
});

export const stackFrameType = gob.struct('InvokeResponse_Error_StackFrame', {
  Path: gob.string,
  Line: gob.int,
  Label: gob.string,
});

export const invokeErrorType = gob.struct('InvokeResponse_Error', {
  Message: gob.string,
  /** The Go type name of the error value: `errorString` for errors.New, `string` for panic("…"). */
  Type: gob.string,
  StackTrace: gob.slice(gob.pointer(stackFrameType), '[]*messages.InvokeResponse_Error_StackFrame'),
  /** Set after a recovered panic: the process must be replaced. */
  ShouldExit: gob.bool,
});

export const invokeResponseType = gob.struct('InvokeResponse', {
  /** JSON of the handler's result; `null` when it returned only an error. */
  Payload: gob.bytes,
  Error: gob.pointer(invokeErrorType),
});

export type RpcResponseHeader = GobValue<typeof rpcResponseHeader>;
/** An invocation as the platform sends it; fields left out are zero. */
export type GoInvokeRequest = GobInput<typeof invokeRequestType>;
export type GoInvokeResponse = GobValue<typeof invokeResponseType>;
export type GoInvokeError = GobValue<typeof invokeErrorType>;
export type GoStackFrame = GobValue<typeof stackFrameType>;
