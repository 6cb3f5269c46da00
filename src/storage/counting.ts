import type { ObjectStorage, StorageCall } from '../ports'

/**
 * `storage`, calling `onAttempt` as each request to the store starts, retries included: what one
 * batch's log line reports as its storage calls. It hooks the adapters' retry loop through the
 * call's `onAttempt`, so the count is of requests sent, not of method calls, and costs nothing per
 * event (the writers call storage per object and per part).
 * @example const storage = countingStorage(storageFor(env, config).storage, () => calls++)
 */
export function countingStorage(storage: ObjectStorage, onAttempt: () => void): ObjectStorage {
  const counted = (call: StorageCall = {}): StorageCall => {
    const outer = call.onAttempt
    return { ...call, onAttempt: outer ? () => (onAttempt(), outer()) : onAttempt }
  }
  return {
    putObject: (key, body, headers, call) => storage.putObject(key, body, headers, counted(call)),
    putObjectStream: (key, body, length, headers, call) => storage.putObjectStream(key, body, length, headers, counted(call)),
    getObject: (key, call) => storage.getObject(key, counted(call)),
    headObject: (key, call) => storage.headObject(key, counted(call)),
    deleteObject: (key, call) => storage.deleteObject(key, counted(call)),
    listKeys: (prefix, call) => storage.listKeys(prefix, counted(call)),
    createMultipartUpload: (key, headers, call) => storage.createMultipartUpload(key, headers, counted(call)),
    uploadPart: (key, uploadId, partNumber, body, call) => storage.uploadPart(key, uploadId, partNumber, body, counted(call)),
    completeMultipartUpload: (key, uploadId, parts, call) => storage.completeMultipartUpload(key, uploadId, parts, counted(call)),
    abortMultipartUpload: (key, uploadId, call) => storage.abortMultipartUpload(key, uploadId, counted(call)),
  }
}
