/** A TCP address of a server the tests can reach. */
export interface Endpoint {
  host: string;
  port: number;
}
