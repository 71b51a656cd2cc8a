* Firm A's private model. It makes xA units of product A, each from one unit of firm B's
* product, of which it takes in inA units.
*   profit = revenue 10 xA - xA^2  minus cost 2 xA + 3  =  8 xA - xA^2 - 3
* The objective is c'x + 1/2 x'Qx + constant: Q[xA][xA] = -2 gives -xA^2, and an RHS on the
* objective row is the negated constant (RHS 3 means -3).
NAME firmA
OBJSENSE
    MAX
ROWS
 N  PROFIT
 L  INTAKE
COLUMNS
    xA        PROFIT    8         INTAKE    1
    inA       INTAKE    -1
RHS
    RHS       PROFIT    3
QUADOBJ
    xA        xA        -2
ENDATA
