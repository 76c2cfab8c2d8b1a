import { Field, ID, InputType } from "type-graphql";
import { MessageChannel } from "./insight.enums";

/** Longest message body accepted for analysis, in characters. */
export const MAX_MESSAGE_BODY = 4_000;

/** A message from a lead to read. */
@InputType({ description: "A message from a lead to read." })
export class AnalyzeMessageInput {
  @Field(() => ID)
  leadId!: string;

  @Field({ description: `The message text, 1 to ${MAX_MESSAGE_BODY.toLocaleString("en-US")} characters.` })
  body!: string;

  @Field(() => MessageChannel)
  channel!: MessageChannel;
}
