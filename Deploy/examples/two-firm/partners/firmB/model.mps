* Firm B's private model. It produces q units, sells sB of them itself and delivers dB to
* firm A.
*   profit = revenue 8 sB - sB^2  minus cost 4 q + 5  =  8 sB - sB^2 - 4 q - 5
* Q[sB][sB] = -2 gives -sB^2; RHS 5 on the objective row is the constant -5.
NAME firmB
OBJSENSE
    MAX
ROWS
 N  PROFIT
 E  BALANCE
COLUMNS
    q         PROFIT    -4        BALANCE   1
    sB        PROFIT    8         BALANCE   -1
    dB        BALANCE   -1
RHS
    RHS       PROFIT    5
QUADOBJ
    sB        sB        -2
ENDATA
