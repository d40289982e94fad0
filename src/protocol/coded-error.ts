/**
 * An error that carries the Kafka error code its request is answered with. Storage's errors
 * (StorageError) and record validation's (RecordValidationError) are such errors on different bases
 * (Error and ProtocolError), so the code is added to a base class here rather than written out in each.
 */
export interface CodedError<C extends number = number> extends Error {
  /** A code of src/protocol/error-codes.ts. */
  readonly errorCode: C;
}

/** A class whose instances are `CodedError`s, made by `withErrorCode`. */
export interface CodedErrorClass<C extends number> {
  new (errorCode: C, message: string, options?: ErrorOptions): CodedError<C>;
}

/**
 * `Base` with an `errorCode` taken as the constructor's first argument. The result is extended by a
 * named class (`class StorageError extends withErrorCode(Error)`), so names and `instanceof Base`
 * stay as they were.
 */
export function withErrorCode<C extends number = number>(Base: new (message?: string, options?: ErrorOptions) => Error): CodedErrorClass<C> {
  return class extends Base {
    readonly errorCode: C;
    constructor(errorCode: C, message: string, options?: ErrorOptions) {
      super(message, options);
      this.errorCode = errorCode;
    }
  };
}
